//! The state of the 金蝶 sandbox: its settings, live sessions, stored bills
//! and the specs of the forms it serves.

use std::sync::Mutex;

use super::auth::Sessions;
use super::forms::FormSpec;
use super::store::BillStore;
use crate::config::{KingdeeConfig, KingdeeQuirks};

/// Kingdee's state: sessions, stored bills, form specs.
#[derive(Debug)]
pub(crate) struct KingdeeState {
    pub config: KingdeeConfig,
    pub sessions: Sessions,
    pub store: BillStore,
    pub forms: Vec<FormSpec>,
    /// Bills submitted, not yet audited.
    pub submitted: super::steps::Submitted,
    quirks: Mutex<KingdeeQuirks>,
}

impl KingdeeState {
    pub(crate) fn new(config: KingdeeConfig, salt: u64) -> Self {
        KingdeeState {
            sessions: Sessions::new(config.session_idle, salt),
            store: BillStore::new(),
            forms: FormSpec::builtin(),
            submitted: super::steps::Submitted::default(),
            quirks: Mutex::new(config.quirks.clone()),
            config,
        }
    }

    /// The quirks shown now.
    pub(crate) fn quirks(&self) -> KingdeeQuirks {
        self.quirks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn set_quirks(&self, quirks: KingdeeQuirks) {
        *self.quirks.lock().unwrap_or_else(|e| e.into_inner()) = quirks;
    }

    pub(crate) fn form(&self, id: &str) -> Option<&FormSpec> {
        self.forms
            .iter()
            .find(|f| f.form_id.eq_ignore_ascii_case(id))
    }
}
