//! The state of the 金蝶 sandbox: its settings, live sessions, stored bills
//! and the specs of the forms it serves.

use super::auth::Sessions;
use super::forms::FormSpec;
use super::store::BillStore;
use crate::config::KingdeeConfig;

/// Kingdee's state: sessions, stored bills, form specs.
#[derive(Debug)]
pub(crate) struct KingdeeState {
    pub config: KingdeeConfig,
    pub sessions: Sessions,
    pub store: BillStore,
    pub forms: Vec<FormSpec>,
}

impl KingdeeState {
    pub(crate) fn new(config: KingdeeConfig, salt: u64) -> Self {
        KingdeeState {
            sessions: Sessions::new(config.session_idle, salt),
            store: BillStore::new(),
            forms: FormSpec::builtin(),
            config,
        }
    }

    pub(crate) fn form(&self, id: &str) -> Option<&FormSpec> {
        self.forms
            .iter()
            .find(|f| f.form_id.eq_ignore_ascii_case(id))
    }
}
