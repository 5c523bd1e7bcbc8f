//! A small element tree for statement files (CAMT.053, OFX 2.x, and OFX 1.x SGML read by
//! [`parse_sgml`]). XML goes through quick-xml with safety limits: a `DOCTYPE` is refused, so no
//! DTD or external entity is ever resolved; only the five predefined entities and character
//! references are expanded; nesting depth and size are bounded.

use quick_xml::events::Event;
use std::collections::HashSet;
use std::rc::Rc;

use quick_xml::{Reader, XmlVersion};

use crate::formats::FormatError;

/// Deepest nesting accepted: CAMT.053 needs about 12 levels, OFX about 8.
pub(crate) const MAX_DEPTH: usize = 64;

/// The largest XML document read.
pub(crate) const MAX_XML_BYTES: usize = super::MAX_FILE_BYTES;

#[derive(Debug, Default, Clone)]
pub(crate) struct Element {
    /// Local name (namespace prefix dropped), shared between elements of the same name.
    pub name: Rc<str>,
    pub attrs: Vec<(String, String)>,
    /// The element's own text (not its children's), untrimmed.
    pub text: String,
    pub children: Vec<Element>,
    /// 1-based line of the start tag.
    pub line: u64,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| &*child.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children
            .iter()
            .filter(move |child| &*child.name == name)
    }

    /// The element at `path` below this one (first match at each step).
    pub fn at(&self, path: &[&str]) -> Option<&Element> {
        path.iter()
            .try_fold(self, |element, name| element.child(name))
    }

    /// The trimmed text at `path`, `None` when absent or empty.
    pub fn text_at(&self, path: &[&str]) -> Option<&str> {
        self.at(path)
            .map(|element| element.text.trim())
            .filter(|text| !text.is_empty())
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

fn local_part(raw: &str) -> &str {
    raw.rsplit_once(':').map_or(raw, |(_, local)| local)
}

fn local_name(raw: &str) -> String {
    local_part(raw).to_string()
}

/// One allocation per distinct element name rather than per element.
fn intern(names: &mut HashSet<Rc<str>>, name: &str) -> Rc<str> {
    if let Some(shared) = names.get(name) {
        return Rc::clone(shared);
    }
    let shared: Rc<str> = Rc::from(name);
    names.insert(Rc::clone(&shared));
    shared
}

/// Tracks the line of increasing byte offsets.
struct Lines<'a> {
    data: &'a [u8],
    offset: usize,
    line: u64,
}

impl Lines<'_> {
    fn at(&mut self, offset: u64) -> u64 {
        let target = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.data.len());
        if target > self.offset {
            self.line += self.data[self.offset..target]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.offset = target;
        }
        self.line
    }
}

/// Attaches a finished element to its parent, or makes it the root.
fn attach(
    stack: &mut [Element],
    root: &mut Option<Element>,
    element: Element,
    file: &str,
) -> Result<(), FormatError> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_none() => *root = Some(element),
        None => {
            return Err(FormatError::new(
                file,
                element.line,
                "document",
                "a second root element: an XML document has only one",
            ));
        }
    }
    Ok(())
}

/// Parses an XML document into its root element.
pub(crate) fn parse_xml(data: &[u8], file: &str) -> Result<Element, FormatError> {
    parse_xml_with(data, file, &mut |_, element| Some(element))
}

/// [`parse_xml`], handing each finished element to `take` with its open ancestors (root
/// first) before it is attached: `take` returns it to attach it, or keeps it (`None`), so
/// that a reader can turn the many repeated elements of a large file (a statement's entries)
/// into its own values as they end, instead of holding the whole tree.
pub(crate) fn parse_xml_with(
    data: &[u8],
    file: &str,
    take: &mut dyn FnMut(&[Element], Element) -> Option<Element>,
) -> Result<Element, FormatError> {
    if data.len() > MAX_XML_BYTES {
        return Err(FormatError::new(
            file,
            1,
            "file",
            format!("the XML document is larger than {MAX_XML_BYTES} bytes"),
        ));
    }
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let decoded;
    let text = match std::str::from_utf8(data) {
        Ok(text) => text,
        Err(err) => match declared_single_byte(data) {
            Some(decode) => {
                decoded = data.iter().map(|b| decode(*b)).collect::<String>();
                decoded.as_str()
            }
            None => {
                return Err(FormatError::new(
                    file,
                    super::line_of_offset(data, err.valid_up_to()),
                    "encoding",
                    format!(
                        "the XML document is not valid UTF-8 (byte {}) and declares no \
                         ISO-8859-1, ISO-8859-15 or windows-1252 encoding",
                        err.valid_up_to()
                    ),
                ));
            }
        },
    };
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut lines = Lines {
        data: text.as_bytes(),
        offset: 0,
        line: 1,
    };
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut names: HashSet<Rc<str>> = HashSet::new();
    let path = |stack: &[Element]| -> String {
        if stack.is_empty() {
            "document".to_string()
        } else {
            stack
                .iter()
                .map(|element| &*element.name)
                .collect::<Vec<_>>()
                .join("/")
        }
    };
    loop {
        let start = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(err) => {
                let line = lines.at(reader.error_position());
                return Err(FormatError::new(
                    file,
                    line,
                    path(&stack),
                    format!("malformed XML: {err}"),
                ));
            }
        };
        let line = lines.at(start);
        let is_empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(tag) | Event::Empty(tag) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(FormatError::new(
                        file,
                        line,
                        path(&stack),
                        format!("elements nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let mut element = Element {
                    name: intern(&mut names, local_part(tag.name().as_ref())),
                    line,
                    ..Element::default()
                };
                // The field an error names: built only for an error.
                let field = |stack: &[Element], element: &Element| {
                    if element.name.is_empty() {
                        path(stack)
                    } else {
                        element.name.to_string()
                    }
                };
                for attr in tag.attributes() {
                    let attr = attr.map_err(|err| {
                        FormatError::new(
                            file,
                            line,
                            field(&stack, &element),
                            format!("malformed attribute: {err}"),
                        )
                    })?;
                    let value = attr
                        .normalized_value(XmlVersion::Implicit1_0)
                        .map_err(|err| {
                            FormatError::new(
                                file,
                                line,
                                field(&stack, &element),
                                format!("attribute value: {err}"),
                            )
                        })?;
                    element
                        .attrs
                        .push((local_name(attr.key.as_ref()), value.into_owned()));
                }
                if is_empty {
                    if let Some(element) = take(&stack, element) {
                        attach(&mut stack, &mut root, element, file)?;
                    }
                } else {
                    if stack.is_empty() && root.is_some() {
                        return Err(FormatError::new(
                            file,
                            line,
                            field(&stack, &element),
                            "a second root element: an XML document has only one",
                        ));
                    }
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let Some(element) = stack.pop() else {
                    return Err(FormatError::new(
                        file,
                        line,
                        "document",
                        "a closing tag without its opening tag",
                    ));
                };
                if let Some(element) = take(&stack, element) {
                    attach(&mut stack, &mut root, element, file)?;
                }
            }
            Event::Text(content) => {
                let content = content.xml10_content();
                push_text(&mut stack, &content, file, line)?;
            }
            Event::CData(content) => {
                let content = content.xml10_content();
                push_text(&mut stack, &content, file, line)?;
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(ch)) => ch,
                    Ok(None) => match &*reference {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "quot" => '"',
                        "apos" => '\'',
                        other => {
                            return Err(FormatError::new(
                                file,
                                line,
                                path(&stack),
                                format!(
                                    "the entity `&{};` is not one of XML's own: \
                                     entities are never resolved",
                                    super::clean(other)
                                ),
                            ));
                        }
                    },
                    Err(err) => {
                        return Err(FormatError::new(
                            file,
                            line,
                            path(&stack),
                            format!("character reference: {err}"),
                        ));
                    }
                };
                let mut buffer = [0u8; 4];
                push_text(&mut stack, resolved.encode_utf8(&mut buffer), file, line)?;
            }
            Event::DocType(_) => {
                return Err(FormatError::new(
                    file,
                    line,
                    "DOCTYPE",
                    "a document type declaration is refused: statements are read without \
                     DTDs or external entities",
                ));
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(FormatError::new(
            file,
            lines.at(u64::MAX),
            path(&stack),
            format!("the element `{}` is never closed", open.name),
        ));
    }
    root.ok_or_else(|| FormatError::new(file, 1, "document", "no XML element found"))
}

/// The decoder of a single-byte encoding named in the XML declaration, if any.
fn declared_single_byte(data: &[u8]) -> Option<fn(u8) -> char> {
    let head = &data[..data.len().min(200)];
    let end = head.windows(2).position(|w| w == b"?>")?;
    let declaration = String::from_utf8_lossy(&head[..end]).to_ascii_lowercase();
    if !declaration.starts_with("<?xml") {
        return None;
    }
    let encoding = declaration
        .split("encoding")
        .nth(1)?
        .trim_start_matches([' ', '='])
        .trim_start_matches(['"', '\''])
        .split(['"', '\''])
        .next()?
        .to_string();
    match encoding.as_str() {
        "iso-8859-1" | "latin1" | "iso_8859-1" => Some(char::from),
        "iso-8859-15" | "latin9" => Some(crate::formats::latin9::decode_byte),
        "windows-1252" | "cp1252" => Some(super::decode_1252),
        _ => None,
    }
}

fn push_text(
    stack: &mut [Element],
    content: &str,
    file: &str,
    line: u64,
) -> Result<(), FormatError> {
    match stack.last_mut() {
        Some(element) => {
            // Leading white space is trimmed on use anyway; skipping it spares aggregates (most
            // elements) a text buffer.
            if !element.text.is_empty() || !content.trim().is_empty() {
                element.text.push_str(content);
            }
            Ok(())
        }
        None if content.trim().is_empty() => Ok(()),
        None => Err(FormatError::new(
            file,
            line,
            "document",
            "text outside the root element",
        )),
    }
}

/// Parses OFX 1.x SGML: tags in angle brackets, leaf elements whose closing tag may be left
/// out. A start tag directly followed by text is a leaf; any other start tag opens an aggregate
/// that a matching closing tag ends (closing the leaves left open inside it).
pub(crate) fn parse_sgml(text: &str, first_line: u64, file: &str) -> Result<Element, FormatError> {
    let mut stack: Vec<Element> = vec![Element {
        name: "#document".into(),
        line: first_line,
        ..Element::default()
    }];
    let mut line = first_line;
    let mut rest = text;
    // Whether the top of the stack is a leaf whose text was just read (an unclosed leaf).
    let mut open_leaf = false;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            if !rest.trim().is_empty() {
                return Err(FormatError::new(
                    file,
                    line,
                    stack_path(&stack),
                    "text after the last tag",
                ));
            }
            break;
        };
        let (before, after) = rest.split_at(lt);
        if !before.trim().is_empty() {
            let depth = stack.len();
            let Some(top) = stack.last_mut().filter(|_| depth > 1) else {
                return Err(FormatError::new(
                    file,
                    line,
                    "document",
                    "text outside the OFX element",
                ));
            };
            top.text.push_str(&sgml_unescape(before));
            open_leaf = true;
        }
        line += before.matches('\n').count() as u64;
        let Some(gt) = after.find('>') else {
            return Err(FormatError::new(
                file,
                line,
                stack_path(&stack),
                "a tag is not closed with `>`",
            ));
        };
        let tag = &after[1..gt];
        rest = &after[gt + 1..];
        let tag_line = line;
        line += tag.matches('\n').count() as u64;
        let tag = tag.trim();
        if tag.starts_with('!') || tag.starts_with('?') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim().to_ascii_uppercase();
            // Close leaves left open, then the element named.
            let Some(position) = stack.iter().rposition(|element| *element.name == *name) else {
                return Err(FormatError::new(
                    file,
                    tag_line,
                    stack_path(&stack),
                    format!("`</{}>` closes no open element", super::clean(&name)),
                ));
            };
            if position == 0 {
                return Err(FormatError::new(
                    file,
                    tag_line,
                    "document",
                    "a closing tag without its opening tag",
                ));
            }
            while stack.len() > position {
                close_top(&mut stack);
            }
            open_leaf = false;
            continue;
        }
        let name = tag.to_ascii_uppercase();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
        {
            return Err(FormatError::new(
                file,
                tag_line,
                stack_path(&stack),
                format!("`<{}>` is not an OFX tag", super::clean(tag)),
            ));
        }
        if open_leaf {
            // The previous element held text and was not closed: it was a leaf.
            close_top(&mut stack);
            open_leaf = false;
        }
        if stack.len() > MAX_DEPTH {
            return Err(FormatError::new(
                file,
                tag_line,
                stack_path(&stack),
                format!("elements nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        stack.push(Element {
            name: name.into(),
            line: tag_line,
            ..Element::default()
        });
    }
    while stack.len() > 1 {
        close_top(&mut stack);
    }
    let document = stack.pop().unwrap_or_default();
    document
        .children
        .into_iter()
        .next()
        .ok_or_else(|| FormatError::new(file, first_line, "OFX", "no OFX element found"))
}

fn close_top(stack: &mut Vec<Element>) {
    if stack.len() > 1
        && let Some(element) = stack.pop()
        && let Some(parent) = stack.last_mut()
    {
        parent.children.push(element);
    }
}

fn stack_path(stack: &[Element]) -> String {
    let names: Vec<&str> = stack.iter().skip(1).map(|element| &*element.name).collect();
    if names.is_empty() {
        "document".to_string()
    } else {
        names.join("/")
    }
}

fn sgml_unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn doctype_and_unknown_entities_are_refused() {
        let doc = b"<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\n<x>&e;</x>";
        let err = parse_xml(doc, "a.xml").unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(err.field, "DOCTYPE");
        let err = parse_xml(b"<x>\n<y>&e;</y></x>", "a.xml").unwrap_err();
        assert_eq!((err.line, err.field.as_str()), (2, "x/y"));
        assert!(err.reason.contains("never resolved"), "{err}");
    }

    #[test]
    fn predefined_entities_and_char_refs_are_expanded() {
        let root = parse_xml(
            b"<a:x xmlns:a=\"u\"><a:y k=\"1&amp;2\">A&amp;B &#233;</a:y></a:x>",
            "f",
        )
        .unwrap();
        let y = root.child("y").unwrap();
        assert_eq!(y.text, "A&B \u{e9}");
        assert_eq!(y.attr("k"), Some("1&2"));
    }

    #[test]
    fn a_declared_latin1_document_is_decoded() {
        let root = parse_xml(
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<x>\n<y>D\xe9p\xf4t</y></x>",
            "f",
        )
        .unwrap();
        assert_eq!(root.text_at(&["y"]), Some("D\u{e9}p\u{f4}t"));
        assert_eq!(root.child("y").unwrap().line, 3);
        let err = parse_xml(b"<?xml version=\"1.0\"?>\n<x>\xe9</x>", "f").unwrap_err();
        assert_eq!((err.line, err.field.as_str()), (2, "encoding"));
    }

    #[test]
    fn depth_is_bounded() {
        let mut doc = String::new();
        for _ in 0..=MAX_DEPTH {
            doc.push_str("<a>");
        }
        let err = parse_xml(doc.as_bytes(), "deep.xml").unwrap_err();
        assert!(err.reason.contains("deeper"), "{err}");
    }

    #[test]
    fn unclosed_and_mismatched_elements_are_errors() {
        assert!(parse_xml(b"<a><b></a>", "f").is_err());
        assert!(parse_xml(b"<a>\n<b>", "f").is_err());
        assert!(parse_xml(b"<a/><b/>", "f").is_err());
        assert!(parse_xml(b"", "f").is_err());
    }

    #[test]
    fn sgml_leaves_close_themselves() {
        let root = parse_sgml(
            "<OFX>\n<A>\n<B>one\n<C>two</C>\n<D>\n<E>three\n</D>\n</A>\n</OFX>",
            1,
            "f",
        )
        .unwrap();
        let a = root.child("A").unwrap();
        assert_eq!(a.text_at(&["B"]), Some("one"));
        assert_eq!(a.text_at(&["C"]), Some("two"));
        assert_eq!(a.text_at(&["D", "E"]), Some("three"));
        assert_eq!(a.child("D").unwrap().line, 5);
    }
}
