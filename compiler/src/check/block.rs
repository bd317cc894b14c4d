//! The statements of a block (the bill, or one element of a target array):
//! `let`, `skip`, assignments, arrays mapped from a source array and
//! literal arrays; and the warning for a local never used.

use duijie_dsl::ast::{self, Span};

use super::{Checker, Level, Local, TargetObject};
use crate::diag::{codes, Diagnostic, FileId};
use crate::model::{self, Base, Ty};
use crate::spec::Field;

impl<'s> Checker<'s, '_> {
    /// Checks the statements of one block (the bill or an array element),
    /// assigning into `object`; without `has_target` the form is unknown
    /// and only the values are checked.
    pub(super) fn check_block_stmts<'a>(
        &mut self,
        stmts: impl IntoIterator<Item = &'a ast::Stmt>,
        object: &mut TargetObject<'s>,
        has_target: bool,
    ) -> model::Block {
        let mut block = model::Block::default();
        for stmt in stmts {
            let field = match stmt {
                ast::Stmt::Let(l) => {
                    block.prelude.extend(self.let_stmt(l));
                    None
                }
                ast::Stmt::Skip(s) => {
                    block.prelude.extend(self.skip_stmt(s));
                    None
                }
                ast::Stmt::Assign(a) => self.assign_stmt(a, object, has_target),
                ast::Stmt::MapArray(m) => self.map_array_stmt(m, object, has_target),
                ast::Stmt::ArrayLit(al) => self.array_lit_stmt(al, object, has_target),
            };
            if let Some((path, value)) = field {
                insert_field(&mut block.fields, &path, &object.prefix, value);
            }
        }
        block
    }

    /// `let name = expr`: a new local of this level.
    fn let_stmt(&mut self, l: &ast::Let) -> Option<model::Prelude> {
        let expr = self.expr(&l.value)?;
        if self.local_name_clashes(&l.name) {
            return None;
        }
        let slot = self.next_local;
        self.next_local += 1;
        self.declare_local(&l.name, slot, expr.ty);
        Some(model::Prelude::Let {
            local: slot,
            name: l.name.name.clone(),
            expr,
        })
    }

    /// Reports a local named like another local or a source field in scope.
    fn local_name_clashes(&mut self, name: &ast::Ident) -> bool {
        if self
            .levels
            .iter()
            .any(|lv| lv.locals.iter().any(|x| x.name == name.name))
        {
            self.error(
                codes::DUPLICATE_LOCAL,
                name.span,
                format!("the local `{}` is defined twice", name.name),
            )
            .label("defined again here")
            .help("give it another name");
            return true;
        }
        if self.is_field_in_scope(&name.name) {
            let suggestion = if self.levels.len() > 1 {
                format!("line_{}", name.name)
            } else {
                format!("{}_value", name.name)
            };
            self.error(
                codes::LOCAL_NAMED_LIKE_FIELD,
                name.span,
                format!("the local `{}` has the name of a source field", name.name),
            )
            .label("a source field of this name is in scope")
            .help(format!(
                "a bare name means one thing: give the local another name (`let {suggestion} = …`)"
            ));
            return true;
        }
        false
    }

    fn declare_local(&mut self, name: &ast::Ident, slot: usize, ty: Ty) {
        let file = self.file;
        if let Some(level) = self.levels.last_mut() {
            level.locals.push(Local {
                name: name.name.clone(),
                slot,
                ty,
                file,
                span: name.span,
                used: false,
            });
        }
    }

    /// `skip if COND` / `skip unless COND`.
    fn skip_stmt(&mut self, s: &ast::Skip) -> Option<model::Prelude> {
        let cond = self.expr(&s.cond)?;
        if !matches!(cond.ty.base, Base::Bool | Base::Null) {
            self.error(
                codes::TYPE_MISMATCH,
                s.cond.span,
                format!(
                    "a skip condition must be a bool, not {}",
                    cond.ty.describe()
                ),
            )
            .label("not a condition")
            .help("compare it: `skip if status == \"10\"`");
            return None;
        }
        Some(model::Prelude::Skip {
            cond,
            unless: s.unless,
            text: self.text(s.span),
        })
    }

    /// `PATH = expr`: the field's path and value.
    fn assign_stmt(
        &mut self,
        a: &ast::Assign,
        object: &mut TargetObject<'s>,
        has_target: bool,
    ) -> Option<(String, model::TargetValue)> {
        // The target first: it is marked assigned even when the value has
        // an error, so no misleading "required field not assigned" follows.
        let target = self.target_leaf(&a.target, object, has_target, true);
        let expr = self.expr(&a.value)?;
        let (path, field) = target?;
        let value = self.assign_value(expr, field, a.value.span, &object.prefix, &path)?;
        Some((path, value))
    }

    /// `PATH[] <- SOURCE [as ALIAS] < … >`: one element per source element.
    fn map_array_stmt(
        &mut self,
        m: &ast::MapArray,
        object: &mut TargetObject<'s>,
        has_target: bool,
    ) -> Option<(String, model::TargetValue)> {
        let target = self.target_array(&m.target, object, has_target);
        let source = self.source_array(&m.source)?;
        self.levels.push(Level {
            fields: source.fields,
            qualifier: element_qualifier(m),
            display: source.display,
            shape_path: source.shape_path,
            locals: Vec::new(),
        });
        let level = self.levels.len() - 1;
        let path = match &target {
            Some((path, _)) => path.clone(),
            None => m
                .target
                .segments
                .iter()
                .map(|s| s.name.clone())
                .collect::<Vec<_>>()
                .join("."),
        };
        let body = self.element_block(
            &m.body.stmts,
            format!("{}{}[].", object.prefix, path),
            target.as_ref().map(|(_, f)| *f),
            m.target.span.to(m.source.span),
        );
        self.warn_unused_locals();
        self.levels.pop();
        target.map(|(_, field)| {
            let source = source.field_ref;
            (
                path,
                model::TargetValue::Array {
                    source,
                    level,
                    body,
                    required: field.required,
                },
            )
        })
    }

    /// `PATH[] = [< … >, < … >]`: the elements as written.
    fn array_lit_stmt(
        &mut self,
        al: &ast::ArrayLit,
        object: &mut TargetObject<'s>,
        has_target: bool,
    ) -> Option<(String, model::TargetValue)> {
        let target = self.target_array(&al.target, object, has_target);
        let path = target.as_ref().map(|(path, _)| path.as_str());
        let prefix = format!("{}{}[].", object.prefix, path.unwrap_or_default());
        let array = target.as_ref().map(|(_, f)| *f);
        let elements = al
            .elements
            .iter()
            .map(|el| self.element_block(&el.stmts, prefix.clone(), array, el.span))
            .collect();
        let (path, _) = target?;
        Some((path, model::TargetValue::List(elements)))
    }

    /// Checks the statements of one element of the target array `array`
    /// (none when it is unknown), whose fields are under `prefix`, and
    /// reports its required fields not assigned at `span`.
    fn element_block(
        &mut self,
        stmts: &[ast::Stmt],
        prefix: String,
        array: Option<&'s Field>,
        span: Span,
    ) -> model::Block {
        let fields = array.map(|f| f.children.as_slice()).unwrap_or(&[]);
        let mut element = TargetObject::new(fields, prefix);
        let body = self.check_block_stmts(stmts, &mut element, array.is_some());
        if let Some(f) = array {
            self.require_fields(
                &f.children,
                &element,
                "",
                span,
                &format!("each element of {}", f.name),
            );
        }
        body
    }

    /// Warns of the locals of the innermost level that nothing reads.
    pub(super) fn warn_unused_locals(&mut self) {
        let Some(level) = self.levels.last_mut() else {
            return;
        };
        let unused: Vec<(FileId, Span, String)> = level
            .locals
            .iter()
            .filter(|l| !l.used)
            .map(|l| (l.file, l.span, l.name.clone()))
            .collect();
        for (file, span, name) in unused {
            let mut d = Diagnostic::warning(
                codes::UNUSED_LOCAL,
                file,
                span,
                format!("the local `{name}` is never used"),
            );
            d.label("defined here").help("use it or remove the `let`");
            self.diags.push(d);
        }
    }
}

/// The name that qualifies the elements of a mapped array: its alias, or
/// the last segment of the source path.
fn element_qualifier(m: &ast::MapArray) -> String {
    m.alias.as_ref().map(|a| a.name.clone()).unwrap_or_else(|| {
        m.source
            .segments
            .last()
            .map(|s| s.name.clone())
            .unwrap_or_default()
    })
}

/// Inserts a target field by dotted path, creating sub-objects in first-use
/// order.
fn insert_field(
    fields: &mut Vec<model::TargetField>,
    path: &str,
    prefix: &str,
    value: model::TargetValue,
) {
    let mut parts = path.split('.').peekable();
    let mut level = fields;
    let mut walked = String::from(prefix);
    while let Some(part) = parts.next() {
        if !walked.is_empty() && !walked.ends_with('.') {
            walked.push('.');
        }
        walked.push_str(part);
        if parts.peek().is_none() {
            let shown = match &value {
                model::TargetValue::Array { .. } | model::TargetValue::List(_) => {
                    format!("{walked}[]")
                }
                _ => walked.clone(),
            };
            level.push(model::TargetField {
                name: part.to_string(),
                path: shown,
                value,
            });
            return;
        }
        let idx = match level.iter().position(|f| f.name == part) {
            Some(i) => i,
            None => {
                level.push(model::TargetField {
                    name: part.to_string(),
                    path: walked.clone(),
                    value: model::TargetValue::Object(Vec::new()),
                });
                level.len() - 1
            }
        };
        match &mut level[idx].value {
            model::TargetValue::Object(children) => level = children,
            _ => return,
        }
    }
}
