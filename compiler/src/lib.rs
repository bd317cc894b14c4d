//! The `.map` compiler: specs, name resolution and type checking into a
//! checked model, diagnostics, code generation and an interpreter.

pub mod spec;
pub mod model;
