//! A project's own specs, laid over the built-in ones.
//!
//! [`Specs::add_overlay`] reads a directory of spec files as `add_dir` does,
//! with three differences:
//! - a file for an API, form or operation that is already known (built in,
//!   or from an earlier directory) **replaces** it, and the replacement is
//!   recorded; the same one twice in one directory is an error;
//! - a file with `role = "override"` changes single fields of a spec that
//!   is known once the directory is read (type, required, label, note),
//!   each with its stated `reason`; a field it names must exist;
//! - a file identical to the spec it would replace (the built-in
//!   directory given as an overlay) changes nothing.
//!
//! [`Specs::explain`] says which file a field was checked against and what
//! overrode it, for `duijie check --explain`.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Field, FieldType, SpecError, Specs};

/// What the overlays changed.
#[derive(Debug, Clone, Default)]
pub(super) struct Layers {
    /// Files read as overlays (by the name errors give them).
    files: BTreeSet<String>,
    /// Specs an overlay file replaced: (kind, system, name, replaced file,
    /// replacing file).
    replaced: Vec<Replaced>,
    overrides: Vec<Override>,
}

#[derive(Debug, Clone)]
struct Replaced {
    system: String,
    name: String,
    old: String,
    new: String,
}

/// One field changed by an override file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Override {
    pub system: String,
    /// The API, form or operation.
    pub spec: String,
    /// The field's dotted path.
    pub field: String,
    /// The override file.
    pub file: String,
    pub reason: String,
    /// What changed: `type: decimal → integer`, `required: true → false`.
    pub changes: Vec<String>,
}

/// Where a field's definition came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub system: String,
    /// The API, form or operation.
    pub spec: String,
    pub field: String,
    pub label: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub required: bool,
    /// The spec file the field is defined in.
    pub file: String,
    /// Whether that file is one of duijie's built-in specs.
    pub built_in: bool,
    /// The built-in file the project's file replaced, if it did.
    pub replaces: Option<String>,
    /// The overrides applied to the field, in order.
    pub overrides: Vec<Override>,
}

impl std::fmt::Display for Explanation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let required = if self.required { ", required" } else { "" };
        writeln!(
            f,
            "{}.{} `{}` ({}, {}{required})",
            self.system, self.spec, self.field, self.label, self.ty
        )?;
        let origin = if self.built_in {
            "built in".to_string()
        } else if let Some(old) = &self.replaces {
            format!("the project's own, replacing the built-in {old}")
        } else {
            "the project's own".to_string()
        };
        writeln!(f, "  checked against {} ({origin})", self.file)?;
        for o in &self.overrides {
            writeln!(
                f,
                "  overridden by {}: {} (reason: {})",
                o.file,
                o.changes.join(", "),
                o.reason
            )?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    system: String,
    role: String,
    api: Option<String>,
    form: Option<String>,
    operation: Option<String>,
    #[serde(default, rename = "note")]
    _note: Option<String>,
    fields: Vec<RawFieldOverride>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFieldOverride {
    name: String,
    reason: String,
    #[serde(rename = "type")]
    ty: Option<FieldType>,
    required: Option<bool>,
    label: Option<String>,
    note: Option<String>,
}

#[derive(Deserialize)]
struct RoleOnly {
    role: Option<String>,
}

/// Which kind of spec, and its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Api,
    Form,
    Operation,
}

impl Specs {
    /// Lays the spec files under `dir` over the specs loaded so far (see
    /// the module's documentation).
    pub fn add_overlay(&mut self, dir: &Path) -> Result<(), SpecError> {
        let mut files = Vec::new();
        super::collect_toml(dir, &mut files)?;
        files.sort();
        let mut overrides = Vec::new();
        let mut seen: BTreeSet<(Kind, String, String)> = BTreeSet::new();
        for file in files {
            let name = file.display().to_string();
            let text = std::fs::read_to_string(&file).map_err(|source| SpecError::Io {
                path: name.clone(),
                source,
            })?;
            self.files.push(file.clone());
            self.overlay.files.insert(name.clone());
            let role = toml::from_str::<RoleOnly>(&text)
                .ok()
                .and_then(|r| r.role)
                .unwrap_or_default();
            if role == "override" {
                let raw: RawOverride = toml::from_str(&text).map_err(|e| SpecError::Invalid {
                    path: name.clone(),
                    message: e.to_string().trim_end().to_string(),
                })?;
                overrides.push((name, raw));
                continue;
            }
            let mut one = Specs::default();
            one.add_text(&name, &text)?;
            for (kind, system, spec) in one.keys() {
                if !seen.insert((kind, system.clone(), spec.clone())) {
                    return Err(SpecError::Invalid {
                        path: name,
                        message: format!(
                            "{system}.{spec} is defined twice in {}: keep one file for it",
                            dir.display()
                        ),
                    });
                }
            }
            self.lay(one, &name);
        }
        for (name, raw) in overrides {
            self.apply_override(&name, raw)?;
        }
        Ok(())
    }

    fn keys(&self) -> Vec<(Kind, String, String)> {
        let apis = self.apis.keys().map(|(s, n)| (Kind::Api, s, n));
        let forms = self.forms.keys().map(|(s, n)| (Kind::Form, s, n));
        let ops = self.operations.keys().map(|(s, n)| (Kind::Operation, s, n));
        apis.chain(forms)
            .chain(ops)
            .map(|(k, s, n)| (k, s.clone(), n.clone()))
            .collect()
    }

    /// Puts the specs of one overlay file in place, recording what they
    /// replace (unless identical).
    fn lay(&mut self, one: Specs, file: &str) {
        for (key, mut new) in one.apis {
            if let Some(old) = self.apis.get(&key) {
                let old_file = old.file.clone();
                new.file = old_file.clone();
                if *old == new {
                    continue;
                }
                self.record_replaced(&key, old_file, file);
            }
            new.file = file.to_string();
            self.apis.insert(key, new);
        }
        for (key, mut new) in one.forms {
            if let Some(old) = self.forms.get(&key) {
                let old_file = old.file.clone();
                new.file = old_file.clone();
                if *old == new {
                    continue;
                }
                self.record_replaced(&key, old_file, file);
            }
            new.file = file.to_string();
            self.forms.insert(key, new);
        }
        for (key, mut new) in one.operations {
            if let Some(old) = self.operations.get(&key) {
                let old_file = old.file.clone();
                new.file = old_file.clone();
                if *old == new {
                    continue;
                }
                self.record_replaced(&key, old_file, file);
            }
            new.file = file.to_string();
            self.operations.insert(key, new);
        }
    }

    fn record_replaced(&mut self, key: &(String, String), old: String, new: &str) {
        self.overlay.replaced.push(Replaced {
            system: key.0.clone(),
            name: key.1.clone(),
            old,
            new: new.to_string(),
        });
    }

    fn apply_override(&mut self, file: &str, raw: RawOverride) -> Result<(), SpecError> {
        let invalid = |message: String| SpecError::Invalid {
            path: file.to_string(),
            message,
        };
        if raw.role != "override" {
            return Err(invalid(format!("unknown role `{}`", raw.role)));
        }
        let key = (
            raw.system.clone(),
            match (&raw.api, &raw.form, &raw.operation) {
                (Some(n), None, None) | (None, Some(n), None) | (None, None, Some(n)) => n.clone(),
                _ => {
                    return Err(invalid(
                        "an override names exactly one of `api`, `form` or `operation`".into(),
                    ))
                }
            },
        );
        let spec_name = format!("{}.{}", key.0, key.1);
        let (fields, lists): (Vec<&mut Vec<Field>>, &str) = if raw.api.is_some() {
            let api = self
                .apis
                .get_mut(&key)
                .ok_or_else(|| invalid(format!("no API {spec_name} to override")))?;
            (
                vec![&mut api.response, &mut api.request],
                "response or request",
            )
        } else if raw.form.is_some() {
            let form = self
                .forms
                .get_mut(&key)
                .ok_or_else(|| invalid(format!("no form {spec_name} to override")))?;
            (vec![&mut form.fields], "fields")
        } else {
            let op = self
                .operations
                .get_mut(&key)
                .ok_or_else(|| invalid(format!("no operation {spec_name} to override")))?;
            (vec![&mut op.options], "options")
        };
        let mut fields = fields;
        let mut applied = Vec::new();
        for row in raw.fields {
            let path = row.name.trim().to_string();
            if row.reason.trim().is_empty() {
                return Err(invalid(format!(
                    "override of `{path}`: give the `reason` (why this tenant differs from the built-in spec)"
                )));
            }
            let Some(field) = fields.iter_mut().find_map(|list| find_path(list, &path)) else {
                return Err(invalid(format!(
                    "{spec_name} has no field `{path}` among its {lists} to override"
                )));
            };
            let mut changes = Vec::new();
            if let Some(ty) = row.ty {
                if field.ty.is_composite() != ty.is_composite() {
                    return Err(invalid(format!(
                        "override of `{path}`: a {} cannot become a {} (replace the whole spec instead)",
                        field.ty.name(),
                        ty.name()
                    )));
                }
                changes.push(format!("type: {} → {}", field.ty.name(), ty.name()));
                field.ty = ty;
            }
            if let Some(required) = row.required {
                changes.push(format!("required: {} → {required}", field.required));
                field.required = required;
            }
            if let Some(label) = row.label {
                changes.push(format!("label: {} → {label}", field.label));
                field.label = label;
            }
            if let Some(note) = row.note {
                changes.push("note".to_string());
                field.note = Some(note);
            }
            if changes.is_empty() {
                return Err(invalid(format!(
                    "override of `{path}` changes nothing: give `type`, `required`, `label` or `note`"
                )));
            }
            applied.push(Override {
                system: key.0.clone(),
                spec: key.1.clone(),
                field: path,
                file: file.to_string(),
                reason: row.reason.trim().to_string(),
                changes,
            });
        }
        self.overlay.overrides.extend(applied);
        Ok(())
    }

    /// Every field override applied, in order.
    pub fn overrides(&self) -> &[Override] {
        &self.overlay.overrides
    }

    /// Where the field `path` of the API, form or operation `spec` of
    /// `system` is defined, and what overrode it; `None` when there is no
    /// such field.
    pub fn explain(&self, system: &str, spec: &str, path: &str) -> Option<Explanation> {
        let key = (system.to_string(), spec.to_string());
        let (lists, file): (Vec<&Vec<Field>>, &str) = if let Some(api) = self.apis.get(&key) {
            (vec![&api.response, &api.request], &api.file)
        } else if let Some(form) = self.forms.get(&key) {
            (vec![&form.fields], &form.file)
        } else if let Some(op) = self.operations.get(&key) {
            (vec![&op.options], &op.file)
        } else {
            return None;
        };
        let field = lists.iter().find_map(|l| find_path_ref(l, path))?;
        let replaces = self
            .overlay
            .replaced
            .iter()
            .rev()
            .find(|r| r.system == system && r.name == spec && r.new == file)
            .map(|r| r.old.clone());
        Some(Explanation {
            system: system.to_string(),
            spec: spec.to_string(),
            field: field.path.clone(),
            label: field.label.clone(),
            ty: field.ty.name().to_string(),
            required: field.required,
            file: file.to_string(),
            built_in: !self.overlay.files.contains(file),
            replaces,
            overrides: self
                .overlay
                .overrides
                .iter()
                .filter(|o| o.system == system && o.spec == spec && o.field == field.path)
                .cloned()
                .collect(),
        })
    }
}

fn find_path<'a>(fields: &'a mut [Field], path: &str) -> Option<&'a mut Field> {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let field = fields.iter_mut().find(|f| f.name == head)?;
    match rest {
        None => Some(field),
        Some(rest) => find_path(&mut field.children, rest),
    }
}

fn find_path_ref<'a>(fields: &'a [Field], path: &str) -> Option<&'a Field> {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let field = fields.iter().find(|f| f.name == head)?;
    match rest {
        None => Some(field),
        Some(rest) => find_path_ref(&field.children, rest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(files: &[(&str, &str)]) -> tempdir::Dir {
        tempdir::Dir::new(files)
    }

    /// A throwaway directory of files.
    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new(files: &[(&str, &str)]) -> Dir {
                static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
                let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let root =
                    std::env::temp_dir().join(format!("duijie-overlay-{}-{n}", std::process::id()));
                let _ = std::fs::remove_dir_all(&root);
                for (name, text) in files {
                    let path = root.join(name);
                    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                    std::fs::write(path, text).unwrap();
                }
                Dir(root)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    const OVERRIDE: &str = r#"
role = "override"
system = "kingdee"
form = "PUR_PurchaseOrder"
fields = [
  { name = "FPOOrderEntry.FQty", type = "integer", reason = "this tenant keeps whole units" },
]
"#;

    #[test]
    fn an_override_changes_one_field_and_is_explained() {
        let d = dir(&[("over.toml", OVERRIDE)]);
        let mut specs = Specs::embedded().unwrap();
        let before = specs
            .explain("kingdee", "PUR_PurchaseOrder", "FPOOrderEntry.FQty")
            .unwrap();
        assert_eq!(before.ty, "decimal");
        assert!(before.built_in);
        specs.add_overlay(&d.0).unwrap();
        let e = specs
            .explain("kingdee", "PUR_PurchaseOrder", "FPOOrderEntry.FQty")
            .unwrap();
        assert_eq!(e.ty, "integer");
        assert_eq!(e.overrides.len(), 1);
        assert_eq!(e.overrides[0].changes, ["type: decimal → integer"]);
        assert_eq!(e.overrides[0].reason, "this tenant keeps whole units");
        let text = e.to_string();
        assert!(text.contains("overridden by"), "{text}");
        assert!(
            text.contains("specs/kingdee/PUR_PurchaseOrder.toml (built in)"),
            "{text}"
        );
    }

    #[test]
    fn an_override_must_name_a_field_that_exists_and_give_a_reason() {
        let d = dir(&[(
            "over.toml",
            &OVERRIDE.replace("FPOOrderEntry.FQty", "FPOOrderEntry.FQtty"),
        )]);
        let mut specs = Specs::embedded().unwrap();
        let e = specs.add_overlay(&d.0).unwrap_err().to_string();
        assert!(e.contains("has no field `FPOOrderEntry.FQtty`"), "{e}");
        let d = dir(&[(
            "over.toml",
            &OVERRIDE.replace("this tenant keeps whole units", " "),
        )]);
        let e = specs.add_overlay(&d.0).unwrap_err().to_string();
        assert!(e.contains("give the `reason`"), "{e}");
    }

    #[test]
    fn a_project_spec_adds_or_replaces_and_the_builtin_dir_changes_nothing() {
        let builtin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
        let mut specs = Specs::embedded().unwrap();
        specs.add_overlay(&builtin).unwrap();
        let e = specs
            .explain("wdt", "purchase_order_query", "details_list.num")
            .unwrap();
        assert!(e.replaces.is_none(), "{e:?}");
        assert!(e.overrides.is_empty());

        let text = std::fs::read_to_string(builtin.join("wdt/purchase_order_query.toml"))
            .unwrap()
            .replace("label = \"查询采购单\"", "label = \"查询采购单（本租户）\"");
        let d = dir(&[("wdt/purchase_order_query.toml", &text)]);
        let mut specs = Specs::embedded().unwrap();
        specs.add_overlay(&d.0).unwrap();
        let e = specs
            .explain("wdt", "purchase_order_query", "details_list.num")
            .unwrap();
        assert!(!e.built_in);
        assert_eq!(
            e.replaces.as_deref(),
            Some("specs/wdt/purchase_order_query.toml")
        );

        let d = dir(&[("a.toml", &text), ("b.toml", &text)]);
        let mut specs = Specs::embedded().unwrap();
        let e = specs.add_overlay(&d.0).unwrap_err().to_string();
        assert!(e.contains("defined twice"), "{e}");
    }
}
