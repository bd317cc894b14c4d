//! Token helpers for generated expressions: operands and the conditions
//! they make, `Option`s mapped without losing `?`, parentheses where an
//! operand needs them, and operands written in place of their names.

use proc_macro2::{Delimiter, Ident, TokenStream, TokenTree};
use quote::quote;

/// A generated operand: its tokens and whether it is an `Option`.
pub(super) struct Operand {
    pub(super) tokens: TokenStream,
    pub(super) nullable: bool,
}

/// A condition: true only when the value is `true` (null counts as false).
pub(super) fn truthy(op: &Operand) -> TokenStream {
    if op.nullable {
        let t = operand_tokens(op.tokens.clone());
        quote!(#t == Some(true))
    } else {
        op.tokens.clone()
    }
}

/// `value.map(|name| body)` (or `and_then` when `body` is an `Option`),
/// or a `match` when `body` can leave the function (`?`, `return`).
pub(crate) fn single(
    value: &TokenStream,
    name: &Ident,
    body: TokenStream,
    body_is_option: bool,
) -> TokenStream {
    if exits(&body) {
        let wrapped = if body_is_option {
            body
        } else {
            quote!(Some(#body))
        };
        if compound(value) {
            quote!({
                let #name = #value;
                match #name {
                    Some(#name) => #wrapped,
                    None => None,
                }
            })
        } else {
            quote!(match #value {
                Some(#name) => #wrapped,
                None => None,
            })
        }
    } else {
        let method = if body_is_option {
            quote!(and_then)
        } else {
            quote!(map)
        };
        if compound(value) || needs_parens(value) {
            quote!({
                let #name = #value;
                #name.#method(|#name| #body)
            })
        } else {
            quote!(#value.#method(|#name| #body))
        }
    }
}

/// Whether the tokens can leave the enclosing function: `?`, `return`,
/// `break`, `continue`.
fn exits(tokens: &TokenStream) -> bool {
    tokens.clone().into_iter().any(|t| match t {
        TokenTree::Punct(p) => p.as_char() == '?',
        TokenTree::Ident(i) => i == "return" || i == "break" || i == "continue",
        TokenTree::Group(g) => exits(&g.stream()),
        TokenTree::Literal(_) => false,
    })
}

/// Whether the tokens are a block, `match` or `if` expression (which read
/// badly, or not at all, in a condition or before a method call).
pub(crate) fn compound(tokens: &TokenStream) -> bool {
    match tokens.clone().into_iter().next() {
        Some(TokenTree::Group(g)) => g.delimiter() == Delimiter::Brace,
        Some(TokenTree::Ident(i)) => i == "match" || i == "if" || i == "loop",
        _ => false,
    }
}

/// Whether the tokens need parentheses as an operand: they have an operator
/// at the top level, or are compound.
fn needs_parens(tokens: &TokenStream) -> bool {
    if compound(tokens) {
        return true;
    }
    tokens
        .clone()
        .into_iter()
        .any(|t| matches!(t, TokenTree::Punct(p) if "=<>|&+-*/%^!".contains(p.as_char())))
}

/// Parenthesizes an operand when it needs it.
pub(crate) fn operand_tokens(tokens: TokenStream) -> TokenStream {
    if needs_parens(&tokens) {
        quote!((#tokens))
    } else {
        tokens
    }
}

/// `body` with each operand written in place of its name, when every name
/// occurs exactly once and in operand order (so evaluation order is kept).
pub(super) fn inline(body: &TokenStream, ops: &[Operand], names: &[Ident]) -> Option<TokenStream> {
    let mut seen = Vec::new();
    occurrences(body, names, &mut seen);
    if seen.len() != names.len() || seen.iter().enumerate().any(|(i, n)| *n != i) {
        return None;
    }
    Some(substitute(body, ops, names))
}

fn occurrences(tokens: &TokenStream, names: &[Ident], out: &mut Vec<usize>) {
    for t in tokens.clone() {
        match t {
            TokenTree::Ident(i) => {
                if let Some(n) = names.iter().position(|n| *n == i) {
                    out.push(n);
                }
            }
            TokenTree::Group(g) => occurrences(&g.stream(), names, out),
            _ => {}
        }
    }
}

fn substitute(tokens: &TokenStream, ops: &[Operand], names: &[Ident]) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let comma = |t: Option<&TokenTree>| match t {
        None => true,
        Some(TokenTree::Punct(p)) => p.as_char() == ',',
        Some(_) => false,
    };
    let mut out = TokenStream::new();
    for (k, t) in trees.iter().enumerate() {
        match t {
            TokenTree::Ident(i) => match names.iter().position(|n| n == i) {
                Some(n) => {
                    // A whole argument needs no parentheses; an operand of
                    // `&`, `.` or an operator does.
                    let before = k.checked_sub(1).and_then(|p| trees.get(p));
                    let whole = comma(before) && comma(trees.get(k + 1));
                    let tokens = ops[n].tokens.clone();
                    out.extend(if whole {
                        tokens
                    } else {
                        operand_tokens(tokens)
                    });
                }
                None => out.extend([t.clone()]),
            },
            TokenTree::Group(g) => {
                let mut group =
                    proc_macro2::Group::new(g.delimiter(), substitute(&g.stream(), ops, names));
                group.set_span(g.span());
                out.extend([TokenTree::Group(group)]);
            }
            other => out.extend([other.clone()]),
        }
    }
    out
}

/// The statements of a block expression (`{ a; b }` → `a; b`), to put in
/// another block without doubling the braces; other tokens as they are.
pub(super) fn unbraced(tokens: TokenStream) -> TokenStream {
    let mut iter = tokens.clone().into_iter();
    match (iter.next(), iter.next()) {
        (Some(TokenTree::Group(g)), None) if g.delimiter() == Delimiter::Brace => g.stream(),
        _ => tokens,
    }
}
