//! Writing files the user names: never through a symbolic link, never half-written, and never
//! over an existing file unless asked.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// A file that is there and may not be replaced.
#[derive(Debug, thiserror::Error)]
#[error("{} already exists: refusing to overwrite it (use --force to replace it)", .0.display())]
struct AlreadyExists(PathBuf);

/// Refuses a path that is a symbolic link: Folio writes the file named, never the one a link
/// points to.
fn refuse_link(path: &Path) -> Result<Option<std::fs::Metadata>> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => bail!(
            "{} is a symbolic link: refusing to write through it (name the file itself)",
            path.display()
        ),
        Ok(metadata) if !metadata.is_file() => {
            bail!("{} exists and is not a regular file", path.display())
        }
        Ok(metadata) => Ok(Some(metadata)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err).with_context(|| format!("cannot inspect {}", path.display())),
    }
}

/// A new temporary file beside `path` (same directory, so the final rename is atomic), created
/// exclusively: it never follows or reuses an existing name.
fn temporary_beside(path: &Path) -> Result<(PathBuf, File)> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "folio".into());
    for attempt in 0..100 {
        let temp = dir.join(format!(".{name}.{}.{attempt}.partial", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(err) => {
                return Err(err).with_context(|| format!("cannot create {}", temp.display()));
            }
        }
    }
    bail!("cannot create a temporary file in {}", dir.display())
}

/// Writes `path` through a temporary file and a rename: a reader sees the old file or the new
/// one, never half of it, and a failure leaves no partial file. Without `overwrite`, an
/// existing file is refused (even one that appears while writing). A symbolic link is refused.
pub fn write_file<T>(
    path: &Path,
    overwrite: bool,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<T>,
) -> Result<T> {
    let existing = refuse_link(path)?;
    if existing.is_some() && !overwrite {
        return Err(AlreadyExists(path.to_path_buf()).into());
    }
    let (temp, file) = temporary_beside(path)?;
    let result: Result<T> = (|| {
        if let Some(metadata) = &existing {
            // The new file keeps the old one's permissions.
            file.set_permissions(metadata.permissions())?;
        }
        let mut writer = BufWriter::with_capacity(1 << 20, file);
        let value = write(&mut writer)?;
        writer.flush()?;
        let file = writer.into_inner().map_err(|err| err.into_error())?;
        file.sync_all()?;
        drop(file);
        if overwrite {
            // A rename replaces the name itself: a link put there meanwhile is replaced, not
            // followed.
            std::fs::rename(&temp, path)?;
        } else {
            // A hard link fails if the name exists, atomically: no file is ever clobbered.
            match std::fs::hard_link(&temp, path) {
                Ok(()) => std::fs::remove_file(&temp)?,
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(AlreadyExists(path.to_path_buf()).into());
                }
                // A file system without hard links: check, then rename.
                Err(_) if std::fs::symlink_metadata(path).is_err() => std::fs::rename(&temp, path)?,
                Err(err) => return Err(err.into()),
            }
        }
        Ok(value)
    })();
    result.map_err(|err| {
        let _ = std::fs::remove_file(&temp);
        if err.is::<AlreadyExists>() {
            err
        } else {
            err.context(format!("cannot write {}", path.display()))
        }
    })
}
