//! Name resolution: which source field a path names among the levels in
//! scope (the record and the elements of the arrays being mapped), and the
//! record of what the mapping reads (the `reads` shape).

use duijie_dsl::ast;

use super::report::{suggest_field, suggest_labelled};
use super::{base_of, Checker, ShapeStep};
use crate::diag::{closest, codes};
use crate::model;
use crate::spec::{self, ApiSpec, Field, FieldType};

/// Where a source path resolved to.
pub(super) struct Resolved<'s> {
    pub(super) level: usize,
    pub(super) field: &'s Field,
    pub(super) field_ref: model::FieldRef,
}

/// The source array of `[] <-`, and what its elements' level needs.
pub(super) struct ElementSource<'s> {
    pub(super) field_ref: model::FieldRef,
    /// The spec fields of an element.
    pub(super) fields: &'s [Field],
    /// Where the elements sit in the `reads` shape.
    pub(super) shape_path: Vec<(String, ShapeStep)>,
    /// `details_list[]`, for messages.
    pub(super) display: String,
}

impl<'s> Checker<'s, '_> {
    /// Resolves a path of source field names at a given level.
    pub(super) fn resolve_in_level(
        &mut self,
        level: usize,
        segments: &[&ast::Ident],
    ) -> Option<Resolved<'s>> {
        let lv = &self.levels[level];
        let mut fields = lv.fields;
        let mut keys = Vec::new();
        let mut field: Option<&'s Field> = None;
        for seg in segments {
            if let Some(f) = field {
                if f.ty != FieldType::Object {
                    let msg = if f.ty == FieldType::Array {
                        format!(
                            "`{}` is an array; its elements are reached inside `[] <- {} < … >`",
                            keys.join("."),
                            keys.join(".")
                        )
                    } else {
                        format!(
                            "`{}` is a {}, it has no fields",
                            keys.join("."),
                            f.ty.name()
                        )
                    };
                    let help = if f.ty == FieldType::Array {
                        format!(
                            "map the array into a target array: `TARGET[] <- {} < … {} … >`",
                            keys.join("."),
                            seg.name
                        )
                    } else {
                        format!("use `{}` itself", keys.join("."))
                    };
                    self.error(codes::SHAPE_SOURCE, seg.span, msg)
                        .label(format!("`{}` cannot be reached this way", seg.name))
                        .help(help);
                    return None;
                }
                fields = &f.children;
            }
            let Some(next) = spec::find(fields, &seg.name) else {
                let owner = if keys.is_empty() {
                    self.level_owner(level)
                } else {
                    format!("`{}`", keys.join("."))
                };
                self.unknown(
                    codes::UNKNOWN_SOURCE_FIELD,
                    seg.span,
                    "source field",
                    &seg.name,
                    suggest_field(&seg.name, fields),
                )
                .label(format!("not a field of {owner}"));
                return None;
            };
            keys.push(next.name.clone());
            field = Some(next);
        }
        let field = field?;
        let lv = &self.levels[level];
        let display = if lv.display.is_empty() {
            keys.join(".")
        } else {
            format!("{}.{}", lv.display, keys.join("."))
        };
        Some(Resolved {
            level,
            field,
            field_ref: model::FieldRef {
                level,
                path: keys,
                display,
            },
        })
    }

    /// What a level is called in messages.
    fn level_owner(&self, level: usize) -> String {
        if level == 0 {
            self.source_api
                .map(|a| format!("{}.{}", a.system, a.api))
                .unwrap_or_default()
        } else {
            format!(
                "the elements of `{}`",
                self.levels[level].display.trim_end_matches("[]")
            )
        }
    }

    /// Resolves a source path (in an expression or after `<-`). With
    /// `composite`, the field may be an array or object.
    pub(super) fn resolve_path(
        &mut self,
        path: &ast::Path,
        composite: bool,
    ) -> Option<Resolved<'s>> {
        let segs: Vec<&ast::Ident> = path.segments.iter().collect();
        let first = *segs.first()?;
        // `record.x`: the record itself.
        if first.name == "record"
            && segs.len() > 1
            && spec::find(self.levels[0].fields, "record").is_none()
        {
            return self.resolve_checked(0, &segs[1..], path, composite);
        }
        // `details_list.x` / `alias.x`: a qualified element.
        if segs.len() > 1 {
            if let Some(level) = self.qualified_level(&first.name) {
                return self.resolve_checked(level, &segs[1..], path, composite);
            }
        } else if self.qualified_level(&first.name).is_some()
            && !self.is_field_in_scope(&first.name)
        {
            self.error(
                codes::SHAPE_SOURCE,
                first.span,
                format!("`{}` is an array element, not a value", first.name),
            )
            .label("the element as a whole")
            .help(format!("name one of its fields: `{}.FIELD`", first.name));
            return None;
        }
        // A bare name: look at every level in scope.
        let found: Vec<usize> = (0..self.levels.len())
            .rev()
            .filter(|&l| spec::find(self.levels[l].fields, &first.name).is_some())
            .collect();
        match found.as_slice() {
            [] => {
                self.unknown_bare_name(first);
                None
            }
            [level] => self.resolve_checked(*level, &segs, path, composite),
            _ => {
                self.ambiguous_name(first, path, &found);
                None
            }
        }
    }

    /// The innermost element level qualified by `name`.
    fn qualified_level(&self, name: &str) -> Option<usize> {
        (1..self.levels.len())
            .rev()
            .find(|&l| self.levels[l].qualifier == name)
    }

    /// Reports a bare name no level in scope has a field of.
    fn unknown_bare_name(&mut self, name: &ast::Ident) {
        let owner = if self.levels.len() == 1 {
            self.level_owner(0)
        } else {
            format!(
                "{} or any enclosing level",
                self.level_owner(self.levels.len() - 1)
            )
        };
        let candidates = self.levels.iter().rev().flat_map(|l| l.fields.iter());
        let help = suggest_labelled(&name.name, candidates, || {
            match (self.locals_named_like(&name.name), &self.failed_include) {
                (Some(l), _) => format!("did you mean the local `{l}`?"),
                (None, Some(inc)) => {
                    format!("it may be declared in \"{inc}\", which could not be loaded")
                }
                (None, None) => "see the API's fields in its spec under specs/".into(),
            }
        });
        self.unknown(
            codes::UNKNOWN_SOURCE_FIELD,
            name.span,
            "source field",
            &name.name,
            help,
        )
        .label(format!("not a field of {owner}"));
    }

    /// Reports a bare name that is a field of more than one level (`found`).
    fn ambiguous_name(&mut self, name: &ast::Ident, path: &ast::Path, found: &[usize]) {
        let quals: Vec<String> = found
            .iter()
            .map(|&l| format!("`{}.{}`", self.levels[l].qualifier, path.dotted()))
            .collect();
        let levels: Vec<String> = found.iter().map(|&l| self.level_owner(l)).collect();
        self.error(
            codes::AMBIGUOUS_NAME,
            name.span,
            format!("`{}` is a field of more than one level", name.name),
        )
        .label(format!("a field of {}", levels.join(" and of ")))
        .help(format!("qualify it: {}", quals.join(" or ")));
    }

    /// Whether a source field of this name exists at any level in scope.
    pub(crate) fn is_field_in_scope(&self, name: &str) -> bool {
        self.levels
            .iter()
            .any(|l| spec::find(l.fields, name).is_some())
    }

    fn locals_named_like(&self, name: &str) -> Option<String> {
        let names: Vec<&str> = self
            .levels
            .iter()
            .flat_map(|l| l.locals.iter().map(|x| x.name.as_str()))
            .collect();
        closest(name, names.iter().copied()).map(str::to_string)
    }

    /// Resolves `segs` at `level`; a scalar is marked read, and a composite
    /// field is reported unless `composite` allows it.
    fn resolve_checked(
        &mut self,
        level: usize,
        segs: &[&ast::Ident],
        path: &ast::Path,
        composite: bool,
    ) -> Option<Resolved<'s>> {
        let r = self.resolve_in_level(level, segs)?;
        if !composite && r.field.ty.is_composite() {
            self.composite_as_value(path, r.field);
            return None;
        }
        if !r.field.ty.is_composite() {
            let scalar = source_scalar(r.field, self.source_api);
            let mut shape_path = self.levels[level].shape_path.clone();
            shape_path.extend(
                r.field_ref
                    .path
                    .iter()
                    .map(|key| (key.clone(), ShapeStep::Object)),
            );
            self.mark_read(&shape_path, Some(scalar));
        }
        Some(r)
    }

    fn composite_as_value(&mut self, path: &ast::Path, field: &Field) {
        let what = if field.ty == FieldType::Array {
            "an array"
        } else {
            "an object"
        };
        let help = if field.ty == FieldType::Array {
            format!("map its elements: `TARGET[] <- {} < … >`", path.dotted())
        } else {
            let first = field
                .children
                .first()
                .map(|c| c.name.as_str())
                .unwrap_or("x");
            format!("name one of its fields, e.g. `{}.{first}`", path.dotted())
        };
        self.error(
            codes::SHAPE_SOURCE,
            path.span,
            format!(
                "`{}` is {what} ({}), not a value",
                path.dotted(),
                field.label
            ),
        )
        .label(format!("{what}, used as a value"))
        .help(help);
    }

    /// Resolves the source array of `[] <-`, and marks it read.
    pub(super) fn source_array(&mut self, path: &ast::Path) -> Option<ElementSource<'s>> {
        let r = self.resolve_path(path, true)?;
        if r.field.ty != FieldType::Array {
            self.error(
                codes::SHAPE_SOURCE,
                path.span,
                format!(
                    "`{}` is a {}, not an array",
                    path.dotted(),
                    r.field.ty.name()
                ),
            )
            .label(format!("{} is not an array", r.field.label))
            .help("`[] <-` maps each element of a source array; assign a value with `=`");
            return None;
        }
        let level = &self.levels[r.level];
        let mut shape_path = level.shape_path.clone();
        for (i, key) in r.field_ref.path.iter().enumerate() {
            let step = if i + 1 == r.field_ref.path.len() {
                ShapeStep::Array
            } else {
                ShapeStep::Object
            };
            shape_path.push((key.clone(), step));
        }
        let display = format!("{}[]", r.field_ref.display);
        self.mark_read(&shape_path, None);
        Some(ElementSource {
            field_ref: r.field_ref,
            fields: &r.field.children,
            shape_path,
            display,
        })
    }

    /// Records in `reads` that the field at `shape_path` is read.
    fn mark_read(&mut self, shape_path: &[(String, ShapeStep)], leaf: Option<model::SourceScalar>) {
        let mut shape = &mut self.reads;
        for (i, (key, step)) in shape_path.iter().enumerate() {
            let last = i + 1 == shape_path.len();
            let pos = shape.fields.iter().position(|f| f.name == *key);
            let idx = match pos {
                Some(p) => p,
                None => {
                    let kind = match (last, &leaf, step) {
                        (true, Some(s), _) => model::ShapeKind::Scalar(s.clone()),
                        (_, _, ShapeStep::Array) => {
                            model::ShapeKind::Array(model::Shape::default())
                        }
                        (_, _, ShapeStep::Object) => {
                            model::ShapeKind::Object(model::Shape::default())
                        }
                    };
                    shape.fields.push(model::ShapeField {
                        name: key.clone(),
                        kind,
                    });
                    shape.fields.len() - 1
                }
            };
            match &mut shape.fields[idx].kind {
                model::ShapeKind::Object(s) | model::ShapeKind::Array(s) => shape = s,
                model::ShapeKind::Scalar(_) => return,
            }
        }
    }
}

/// How a source scalar field is decoded.
pub(super) fn source_scalar(f: &Field, api: Option<&ApiSpec>) -> model::SourceScalar {
    let ty = base_of(f.ty);
    let format = match f.ty {
        FieldType::Datetime => Some(f.format.clone().unwrap_or_else(|| {
            api.map(|a| a.datetime_format.clone())
                .unwrap_or_else(|| "%Y-%m-%d %H:%M:%S".into())
        })),
        FieldType::Date => Some(f.format.clone().unwrap_or_else(|| "%Y-%m-%d".into())),
        _ => None,
    };
    model::SourceScalar {
        ty,
        required: f.required,
        format,
    }
}
