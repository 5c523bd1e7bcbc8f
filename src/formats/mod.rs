//! File formats Folio reads and writes. Pure: bytes in, values out (and back).
