//! Keymaps: one TOML table per context, each action mapped to a list of keys or chords.
//!
//! Layers: the embedded `keymaps/default.toml`, then the user's `~/.config/folio/keymap.toml`,
//! then `--keymap PATH`. A layer lists only what it changes: an action it names gets exactly
//! the keys given (`[]` unbinds it), and those keys are taken away from whatever action of the
//! same context had them before. Inside one file, a key bound twice in a context, an unknown
//! context or action, or a bad key notation is an error naming the file and the line.

mod key;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use toml::Spanned;

pub use key::{Code, Key, chord_text, parse_chord};

use super::action::{self, Action, Context};

pub const DEFAULT_TOML: &str = include_str!("../../../keymaps/default.toml");
pub const EMACS_TOML: &str = include_str!("../../../keymaps/emacs.toml");

/// Shipped presets, usable by name with `--keymap NAME`.
pub const PRESETS: &[(&str, &str)] = &[("default", DEFAULT_TOML), ("emacs", EMACS_TOML)];

/// A keymap refused: which file, which line, why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct KeymapError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Where a binding was made, for error messages and `keymap show`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    pub line: usize,
}

#[derive(Debug, Clone)]
struct Binding {
    keys: Vec<Key>,
    action: Action,
    name: &'static str,
    origin: Origin,
}

/// What a sequence of keys means in one context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Action(Action),
    /// The keys start a chord: wait for the next key.
    Prefix,
    None,
}

#[derive(Debug, Clone, Default)]
pub struct Keymap {
    contexts: BTreeMap<Context, Vec<Binding>>,
}

impl Keymap {
    /// The embedded default keymap.
    pub fn embedded() -> Keymap {
        let mut keymap = Keymap::default();
        // The default keymap is tested; failing here would be a build mistake.
        if let Err(err) = keymap.layer("keymaps/default.toml", DEFAULT_TOML) {
            panic!("embedded keymap: {err}");
        }
        keymap
    }

    /// A shipped preset over the default keymap.
    pub fn preset(name: &str) -> Option<Keymap> {
        let (_, text) = PRESETS.iter().find(|(n, _)| *n == name)?;
        let mut keymap = Keymap::embedded();
        keymap.layer(&format!("keymaps/{name}.toml"), text).ok()?;
        Some(keymap)
    }

    /// The default keymap, then each file that exists in order. A path naming a shipped preset
    /// (`emacs`) that is not a file uses the preset.
    pub fn load(layers: &[PathBuf]) -> Result<Keymap, KeymapError> {
        let mut keymap = Keymap::embedded();
        for path in layers {
            let (name, text) = read_layer(path)?;
            keymap.layer(&name, &text)?;
        }
        Ok(keymap)
    }

    /// Applies one layer.
    pub fn layer(&mut self, file: &str, text: &str) -> Result<(), KeymapError> {
        let parsed = parse_layer(file, text)?;
        for (context, actions) in parsed {
            let bindings = self.contexts.entry(context).or_default();
            for (name, action, keys, origin) in actions {
                bindings.retain(|b| b.action != action || b.name != name);
                for chord in &keys {
                    bindings.retain(|b| !conflicts(&b.keys, chord));
                }
                bindings.extend(keys.into_iter().map(|keys| Binding {
                    keys,
                    action,
                    name,
                    origin: origin.clone(),
                }));
            }
        }
        Ok(())
    }

    /// What `keys` mean in `context`.
    pub fn lookup(&self, context: Context, keys: &[Key]) -> Lookup {
        let Some(bindings) = self.contexts.get(&context) else {
            return Lookup::None;
        };
        let mut prefix = false;
        for binding in bindings {
            if binding.keys == keys {
                return Lookup::Action(binding.action);
            }
            if binding.keys.len() > keys.len() && binding.keys.starts_with(keys) {
                prefix = true;
            }
        }
        if prefix { Lookup::Prefix } else { Lookup::None }
    }

    /// The chords bound to an action in a context, in the order the keymap gives them.
    pub fn keys_for(&self, context: Context, action: Action) -> Vec<Vec<Key>> {
        self.contexts
            .get(&context)
            .map(|bindings| {
                bindings
                    .iter()
                    .filter(|b| b.action == action)
                    .map(|b| b.keys.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first key of an action, written for hints (`ctrl-s`), or an empty string.
    pub fn hint(&self, context: Context, action: Action) -> String {
        self.keys_for(context, action)
            .first()
            .map(|k| chord_text(k))
            .unwrap_or_default()
    }

    /// The first key of an action that is not a typed character (for screens with text
    /// fields, where `q` is a letter), or an empty string.
    pub fn hint_untyped(&self, context: Context, action: Action) -> String {
        self.keys_for(context, action)
            .iter()
            .find(|k| k.first().is_some_and(|key| key.text().is_none()))
            .map(|k| chord_text(k))
            .unwrap_or_default()
    }

    /// Every key of an action, written for the help screen (`j, down`).
    pub fn hints(&self, context: Context, action: Action) -> String {
        self.keys_for(context, action)
            .iter()
            .map(|k| chord_text(k))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The effective keymap as TOML, with where each binding comes from.
    pub fn show(&self) -> String {
        let mut out = String::new();
        for context in Context::ALL {
            out.push_str(&format!("[{context}]\n"));
            for info in action::in_context(context) {
                let bindings: Vec<&Binding> = self
                    .contexts
                    .get(&context)
                    .map(|all| {
                        all.iter()
                            .filter(|b| b.action == info.action && b.name == info.name)
                            .collect()
                    })
                    .unwrap_or_default();
                let keys: Vec<String> = bindings
                    .iter()
                    .map(|b| format!("{:?}", chord_text(&b.keys)))
                    .collect();
                let origin = bindings
                    .first()
                    .map(|b| format!("{}:{}", b.origin.file, b.origin.line))
                    .unwrap_or_else(|| "unbound".into());
                let line = format!("{} = [{}]", info.name, keys.join(", "));
                out.push_str(&format!("{line:<44} # {} ({origin})\n", info.description));
            }
            out.push('\n');
        }
        out
    }
}

/// Checks one keymap file on its own (layered over the default). Returns how many actions it
/// sets.
pub fn check_file(path: &Path) -> Result<usize, KeymapError> {
    let (name, text) = read_layer(path)?;
    let parsed = parse_layer(&name, &text)?;
    let mut keymap = Keymap::embedded();
    keymap.layer(&name, &text)?;
    Ok(parsed.values().map(Vec::len).sum())
}

/// The user's keymap file: `$XDG_CONFIG_HOME/folio/keymap.toml` or `~/.config/folio/keymap.toml`.
pub fn user_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(base.join("folio").join("keymap.toml"))
}

fn read_layer(path: &Path) -> Result<(String, String), KeymapError> {
    let name = path.display().to_string();
    match crate::fixtures::read_text_file(path) {
        Ok(text) => Ok((name, text)),
        Err(err) => {
            if !path.exists()
                && let Some((preset, text)) = PRESETS.iter().find(|(n, _)| *n == name)
            {
                return Ok((format!("keymaps/{preset}.toml"), text.to_string()));
            }
            Err(KeymapError {
                file: name,
                line: 0,
                message: format!("cannot read the keymap: {err}"),
            })
        }
    }
}

type Table = BTreeMap<Spanned<String>, Spanned<Vec<Spanned<String>>>>;
type ParsedLayer = BTreeMap<Context, Vec<(&'static str, Action, Vec<Vec<Key>>, Origin)>>;

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Parses and checks one file: known contexts and actions, valid keys, no key twice in a
/// context.
fn parse_layer(file: &str, text: &str) -> Result<ParsedLayer, KeymapError> {
    let error = |offset: usize, message: String| KeymapError {
        file: file.to_string(),
        line: line_of(text, offset),
        message,
    };
    let tables: BTreeMap<Spanned<String>, Spanned<Table>> =
        toml::from_str(text).map_err(|err: toml::de::Error| {
            let offset = err.span().map(|s| s.start).unwrap_or(0);
            error(offset, err.message().trim().to_string())
        })?;
    let mut out: ParsedLayer = BTreeMap::new();
    for (context_name, table) in tables {
        let Some(context) = Context::parse(context_name.get_ref()) else {
            let known: Vec<&str> = Context::ALL.iter().map(|c| c.name()).collect();
            return Err(error(
                context_name.span().start,
                format!(
                    "unknown context `[{}]` (known: {})",
                    context_name.get_ref(),
                    known.join(", ")
                ),
            ));
        };
        // (chord, action name, offset) of every key of this context in this file.
        let mut seen: Vec<(Vec<Key>, &'static str, usize)> = Vec::new();
        let mut actions = Vec::new();
        let mut entries: Vec<_> = table.into_inner().into_iter().collect();
        entries.sort_by_key(|(name, _)| name.span().start);
        for (action_name, keys) in entries {
            let Some(info) = action::find(context, action_name.get_ref()) else {
                return Err(error(
                    action_name.span().start,
                    format!(
                        "unknown action `{}` in [{context}] (see `folio keymap show`)",
                        action_name.get_ref()
                    ),
                ));
            };
            let mut chords = Vec::new();
            for key_text in keys.into_inner() {
                let offset = key_text.span().start;
                let chord = parse_chord(key_text.get_ref()).map_err(|msg| error(offset, msg))?;
                if let Some((_, other, other_offset)) =
                    seen.iter().find(|(keys, _, _)| conflicts(keys, &chord))
                {
                    let what = if seen.iter().any(|(keys, _, _)| *keys == chord) {
                        "is already bound"
                    } else {
                        "overlaps a chord bound"
                    };
                    return Err(error(
                        offset,
                        format!(
                            "key `{}` {what} to `{other}` in [{context}] (line {})",
                            key_text.get_ref(),
                            line_of(text, *other_offset)
                        ),
                    ));
                }
                seen.push((chord.clone(), info.name, offset));
                chords.push(chord);
            }
            let origin = Origin {
                file: file.to_string(),
                line: line_of(text, action_name.span().start),
            };
            actions.push((info.name, info.action, chords, origin));
        }
        out.insert(context, actions);
    }
    Ok(out)
}

/// Two chords cannot live in one context when equal or when one starts the other.
fn conflicts(a: &[Key], b: &[Key]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<Key> {
        parse_chord(text).unwrap()
    }

    #[test]
    fn presets_load_and_bind_every_action() {
        for (name, _) in PRESETS {
            let keymap = Keymap::preset(name).unwrap();
            for info in action::REGISTRY {
                assert!(
                    !keymap.keys_for(info.context, info.action).is_empty(),
                    "{name}: {}.{} has no key",
                    info.context,
                    info.name
                );
            }
        }
    }

    #[test]
    fn chords_wait_for_their_next_key() {
        let keymap = Keymap::embedded();
        assert_eq!(keymap.lookup(Context::List, &keys("g")), Lookup::Prefix);
        assert_eq!(
            keymap.lookup(Context::List, &keys("g g")),
            Lookup::Action(Action::Top)
        );
        assert_eq!(
            keymap.lookup(Context::List, &keys("j")),
            Lookup::Action(Action::Down)
        );
        assert_eq!(keymap.lookup(Context::List, &keys("z")), Lookup::None);
    }

    #[test]
    fn a_layer_replaces_keys_unbinds_and_takes_keys_over() {
        let mut keymap = Keymap::embedded();
        keymap
            .layer(
                "user.toml",
                "[list]\ndown = [\"n\"]\nup = []\nbottom = [\"j\"]\n",
            )
            .unwrap();
        assert_eq!(
            keymap.keys_for(Context::List, Action::Down),
            vec![keys("n")]
        );
        assert!(keymap.keys_for(Context::List, Action::Up).is_empty());
        assert_eq!(
            keymap.lookup(Context::List, &keys("j")),
            Lookup::Action(Action::Bottom)
        );
        // Other contexts keep their keys.
        assert_eq!(
            keymap.lookup(Context::Global, &keys("q")),
            Lookup::Action(Action::Quit)
        );
        assert!(keymap.show().contains("down = [\"n\"]"));
        assert!(keymap.show().contains("user.toml:2"));
    }

    fn refused(text: &str) -> KeymapError {
        Keymap::embedded().layer("mine.toml", text).unwrap_err()
    }

    #[test]
    fn refusals_name_the_file_and_line() {
        let err = refused("[list]\ndown = [\"j\"]\nfly = [\"f\"]\n");
        assert_eq!((err.file.as_str(), err.line), ("mine.toml", 3));
        assert!(err.message.contains("unknown action `fly`"), "{err}");

        let err = refused("[list]\n\ndown = [\"ctrl-hyper-j\"]\n");
        assert_eq!(err.line, 3);
        assert!(err.message.contains("not a key"), "{err}");

        let err = refused("[list]\ndown = [\"x\"]\nup = [\"k\", \"x\"]\n");
        assert_eq!(err.line, 3);
        assert!(err.message.contains("already bound to `down`"), "{err}");
        assert!(err.to_string().starts_with("mine.toml:3: "));

        let err = refused("[list]\ntop = [\"g\"]\nbottom = [\"g g\"]\n");
        assert_eq!(err.line, 3);
        assert!(err.message.contains("overlaps"), "{err}");

        let err = refused("[lists]\ndown = [\"j\"]\n");
        assert_eq!(err.line, 1);
        assert!(err.message.contains("unknown context"), "{err}");

        let err = refused("[list]\ndown = \"j\"\n");
        assert_eq!(err.line, 2);

        let err = refused("[list]\ndown = [\"j\"]\ndown = [\"k\"]\n");
        assert_eq!(err.line, 3);
    }

    #[test]
    fn loading_layers_files_in_order_and_names_presets() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("first.toml");
        let second = dir.path().join("second.toml");
        std::fs::write(&first, "[global]\nquit = [\"Q\"]\n").unwrap();
        std::fs::write(&second, "[global]\nquit = [\"ctrl-q\"]\n").unwrap();
        let keymap = Keymap::load(&[first.clone(), second.clone()]).unwrap();
        assert_eq!(
            keymap.keys_for(Context::Global, Action::Quit),
            vec![keys("ctrl-q")]
        );
        let emacs = Keymap::load(&[PathBuf::from("emacs")]).unwrap();
        assert_eq!(
            emacs.lookup(Context::List, &keys("ctrl-n")),
            Lookup::Action(Action::Down)
        );
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "[global]\n\nquit = [\"q\", \"q\"]\n").unwrap();
        let err = Keymap::load(&[first, bad.clone()]).unwrap_err();
        assert_eq!(err.file, bad.display().to_string());
        assert_eq!(err.line, 3);
        assert_eq!(check_file(&dir.path().join("second.toml")), Ok(1));
        assert!(check_file(&dir.path().join("missing.toml")).is_err());
    }
}
