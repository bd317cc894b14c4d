//! Target fields: the path an assignment or an array statement names in the
//! form, each assigned once; a value of the field's type; and the required
//! fields a block leaves unassigned.

use duijie_dsl::ast::{self, Span};

use super::report::{suggest_field, Repeat};
use super::{expr, Checker, TargetObject};
use crate::diag::codes;
use crate::model::{self, Base};
use crate::spec::{self, Field, FieldType};

impl<'s> Checker<'s, '_> {
    /// Resolves the target of `PATH = …`: must be a scalar field. Returns
    /// its dotted path (from this object) and spec.
    pub(super) fn target_leaf(
        &mut self,
        tp: &ast::TargetPath,
        object: &mut TargetObject<'s>,
        has_target: bool,
        report: bool,
    ) -> Option<(String, &'s Field)> {
        if !has_target {
            return None;
        }
        let Some((path, field)) = self.walk_target(tp, object, report) else {
            // A misspelt sub-field still assigns its object: no "required
            // field not assigned" on top of the real mistake.
            if let Some(first) = tp.segments.first().filter(|_| tp.segments.len() > 1) {
                if spec::find(object.fields, &first.name).is_some() {
                    object
                        .assigned
                        .entry(first.name.clone())
                        .or_insert((self.file, tp.span));
                }
            }
            return None;
        };
        if report && !self.is_value_field(tp, &path, field) {
            return None;
        }
        if let Some(&first) = object.assigned.get(&path) {
            if report {
                self.set_twice(
                    codes::DUPLICATE_ASSIGN,
                    tp.span,
                    format!("`{}{}` is assigned twice", object.prefix, path),
                    Repeat::Assigned,
                    first,
                )
                .help("each target field gets one value; combine the two with `if`/`??` or remove one");
            }
            return None;
        }
        object.assigned.insert(path.clone(), (self.file, tp.span));
        // Parents count as assigned too (for required checks).
        let mut parent = String::new();
        for seg in &tp.segments[..tp.segments.len().saturating_sub(1)] {
            if !parent.is_empty() {
                parent.push('.');
            }
            parent.push_str(&seg.name);
            object
                .assigned
                .entry(parent.clone())
                .or_insert((self.file, tp.span));
        }
        Some((path, field))
    }

    /// Whether the field at `path` takes a value; reports an object or an
    /// array assigned one.
    fn is_value_field(&mut self, tp: &ast::TargetPath, path: &str, field: &Field) -> bool {
        match field.ty {
            FieldType::Object => {
                let sub: Vec<&str> = field.children.iter().map(|c| c.name.as_str()).collect();
                let first = sub.first().copied().unwrap_or("FNumber");
                self.error(
                    codes::SHAPE_TARGET,
                    tp.span,
                    format!(
                        "`{}` is an object ({}), not a value",
                        field.name, field.label
                    ),
                )
                .label("a lookup object")
                .help(format!(
                    "assign its fields, e.g. `{}.{first} = …` (fields: {})",
                    path,
                    sub.join(", ")
                ));
                false
            }
            FieldType::Array => {
                self.error(codes::SHAPE_TARGET, tp.span, format!("`{}` is an array ({}), not a value", field.name, field.label))
                    .label("an array of objects")
                    .help(format!("build it from a source array: `{path}[] <- details_list < … >`, or literally: `{path}[] = [< … >]`"));
                false
            }
            _ => true,
        }
    }

    /// Resolves the target of `PATH[] …`: must be an array field.
    pub(super) fn target_array(
        &mut self,
        tp: &ast::TargetPath,
        object: &mut TargetObject<'s>,
        has_target: bool,
    ) -> Option<(String, &'s Field)> {
        if !has_target {
            return None;
        }
        let (path, field) = self.walk_target(tp, object, true)?;
        if field.ty != FieldType::Array {
            let help = if field.ty == FieldType::Object {
                format!(
                    "it is a lookup object: assign `{path}.{} = …`",
                    first_child(field)
                )
            } else {
                format!("assign it a value: `{path} = …`")
            };
            self.error(
                codes::SHAPE_TARGET,
                tp.span,
                format!("`{}` is a {}, not an array", field.name, field.ty.name()),
            )
            .label(format!("{} is not an array", field.label))
            .help(help);
            return None;
        }
        if let Some(&first) = object.assigned.get(&path) {
            self.set_twice(
                codes::DUPLICATE_ASSIGN,
                tp.span,
                format!("`{}{}` is assigned twice", object.prefix, path),
                Repeat::Assigned,
                first,
            )
            .help("an array is built by one statement");
            return None;
        }
        object.assigned.insert(path.clone(), (self.file, tp.span));
        Some((path, field))
    }

    /// The field a target path names, through lookup objects.
    fn walk_target(
        &mut self,
        tp: &ast::TargetPath,
        object: &TargetObject<'s>,
        report: bool,
    ) -> Option<(String, &'s Field)> {
        let mut fields = object.fields;
        let mut field: Option<&'s Field> = None;
        let mut path = String::new();
        for (i, seg) in tp.segments.iter().enumerate() {
            if let Some(f) = field {
                if f.ty != FieldType::Object {
                    if report {
                        let what = if f.ty == FieldType::Array {
                            "an array: map it with `[] <-`"
                        } else {
                            "a value, without fields"
                        };
                        let help = if f.ty == FieldType::Array {
                            format!("write `{path}[] <- SOURCE < {} = … >`", seg.name)
                        } else {
                            format!("assign `{path}` itself")
                        };
                        self.error(codes::SHAPE_TARGET, seg.span, format!("`{path}` is {what}"))
                            .label(format!("`{}` cannot be reached through `{path}`", seg.name))
                            .help(help);
                    }
                    return None;
                }
                fields = &f.children;
            }
            let Some(next) = spec::find(fields, &seg.name) else {
                if report {
                    let owner = if i == 0 {
                        self.object_owner(object)
                    } else {
                        format!("`{}{path}`", object.prefix)
                    };
                    self.unknown(
                        codes::UNKNOWN_TARGET_FIELD,
                        seg.span,
                        "target field",
                        &seg.name,
                        suggest_field(&seg.name, fields),
                    )
                    .label(format!("not a field of {owner}"));
                }
                return None;
            };
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&next.name);
            field = Some(next);
        }
        field.map(|f| (path, f))
    }

    /// What a target object is called in messages: the form, or the array
    /// it is an element of.
    fn object_owner(&self, object: &TargetObject<'_>) -> String {
        if object.prefix.is_empty() {
            self.form
                .map(|f| format!("the form {}", f.form))
                .unwrap_or_default()
        } else {
            format!("`{}`", object.prefix.trim_end_matches('.'))
        }
    }

    /// Reports required fields of `fields` that `object` did not assign.
    pub(super) fn require_fields(
        &mut self,
        fields: &'s [Field],
        object: &TargetObject<'s>,
        prefix: &str,
        span: Span,
        owner: &str,
    ) {
        for f in fields {
            let path = if prefix.is_empty() {
                f.name.clone()
            } else {
                format!("{prefix}.{}", f.name)
            };
            let assigned = object.assigned.contains_key(&path);
            if f.required && !assigned {
                let example = match f.ty {
                    FieldType::Object => format!("{path}.{} = …", first_child(f)),
                    FieldType::Array => format!("{path}[] <- … < … >"),
                    _ => format!("{path} = …"),
                };
                self.error(
                    codes::MISSING_REQUIRED,
                    span,
                    format!(
                        "the required field `{}{path}` ({}) is not assigned",
                        object.prefix, f.label
                    ),
                )
                .label(format!("{owner} requires it"))
                .help(format!("add `{example}`"));
            } else if assigned && f.ty == FieldType::Object {
                self.require_fields(&f.children, object, &path, span, owner);
            }
        }
    }

    /// Checks an assignment's value against its target field's type.
    pub(super) fn assign_value(
        &mut self,
        expr: model::Expr,
        field: &Field,
        span: Span,
        prefix: &str,
        path: &str,
    ) -> Option<model::TargetValue> {
        let (ty, want) = self.target_scalar(field)?;
        let expr = self.coerce(
            expr,
            want,
            span,
            &format!("`{prefix}{path}` ({})", field.label),
        )?;
        let sources = expr::sources_of(&expr).join(", ");
        Some(model::TargetValue::Scalar {
            expr,
            ty,
            required: field.required,
            sources,
        })
    }

    /// How a scalar target field is written, and the base type its value
    /// must have; `None` for objects and arrays.
    fn target_scalar(&self, field: &Field) -> Option<(model::TargetScalar, Base)> {
        Some(match field.ty {
            FieldType::String => (model::TargetScalar::Str, Base::Str),
            FieldType::Decimal => (model::TargetScalar::Dec, Base::Dec),
            FieldType::Integer => (model::TargetScalar::Int, Base::Int),
            FieldType::Bool => (model::TargetScalar::Bool, Base::Bool),
            FieldType::Datetime => (
                model::TargetScalar::DateTime {
                    format: field.format.clone().unwrap_or_else(|| {
                        self.form
                            .map(|f| f.datetime_format.clone())
                            .unwrap_or_default()
                    }),
                },
                Base::DateTime,
            ),
            FieldType::Date => (
                model::TargetScalar::Date {
                    format: field.format.clone().unwrap_or_else(|| "%Y-%m-%d".into()),
                },
                Base::Date,
            ),
            FieldType::List => (model::TargetScalar::List, Base::List),
            FieldType::Object | FieldType::Array => return None,
        })
    }
}

/// The name of a lookup object's first field, for examples (`FNumber`
/// when it has none).
fn first_child(field: &Field) -> &str {
    field
        .children
        .first()
        .map(|c| c.name.as_str())
        .unwrap_or("FNumber")
}
