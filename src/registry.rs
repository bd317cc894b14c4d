//! The schemes a binary was built with, handed to [`crate::cli::main`].

use std::sync::Arc;

use duijie_compiler::model::Scheme;
use duijie_maplib::Mapper;

/// The compiled schemes of a binary and their checked models (what the
/// code was generated from, for `map --interpret`), as the `registry()`
/// of the generated `duijie.rs` makes them.
#[derive(Clone)]
pub struct Registry {
    mappers: Vec<Arc<dyn Mapper>>,
    models: fn() -> Vec<Scheme>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("schemes", &self.names())
            .finish()
    }
}

impl Registry {
    pub fn new(mappers: Vec<Arc<dyn Mapper>>, models: fn() -> Vec<Scheme>) -> Registry {
        Registry { mappers, models }
    }

    /// No schemes (a binary of the CLI alone).
    pub fn empty() -> Registry {
        Registry::new(Vec::new(), Vec::new)
    }

    /// Every compiled scheme, in name order.
    pub fn mappers(&self) -> &[Arc<dyn Mapper>] {
        &self.mappers
    }

    /// The names of the compiled schemes, in name order.
    pub fn names(&self) -> Vec<&str> {
        self.mappers
            .iter()
            .map(|m| m.meta().name.as_str())
            .collect()
    }

    /// The compiled scheme named `name`.
    pub fn by_name(&self, name: &str) -> Option<Arc<dyn Mapper>> {
        self.mappers.iter().find(|m| m.meta().name == name).cloned()
    }

    /// The checked model of the compiled scheme named `name`.
    pub fn model(&self, name: &str) -> Option<Scheme> {
        (self.models)().into_iter().find(|s| s.meta.name == name)
    }
}
