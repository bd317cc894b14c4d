//! The state of the 金蝶 sandbox: its settings, live sessions, stored bills,
//! base data and the specs of the forms it serves.

use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::auth::Sessions;
use super::forms::FormSpec;
use super::store::BillStore;
use crate::config::{KingdeeConfig, KingdeeQuirks};
use crate::masterdata::MasterData;

/// Kingdee's state: sessions, stored bills, form specs.
#[derive(Debug)]
pub(crate) struct KingdeeState {
    pub config: KingdeeConfig,
    pub sessions: Sessions,
    pub store: BillStore,
    /// The base data: what lookups must name, what base-data queries and
    /// saves read and write.
    master: RwLock<MasterData>,
    /// Where the last base-data scans stopped (to resume the next page).
    pub resumes: super::query::Resumes,
    pub forms: Vec<FormSpec>,
    /// Bills submitted, not yet audited.
    pub submitted: super::steps::Submitted,
    quirks: Mutex<KingdeeQuirks>,
    /// Calls being answered now (the load model's).
    pub in_flight: std::sync::atomic::AtomicU32,
}

/// A call being answered, counted in [`KingdeeState::in_flight`] until
/// dropped.
pub(crate) struct InFlight<'a>(&'a std::sync::atomic::AtomicU32);

impl InFlight<'_> {
    /// Counts a call in; also returns how many are in flight with it.
    pub(crate) fn enter(counter: &std::sync::atomic::AtomicU32) -> (InFlight<'_>, u32) {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        (InFlight(counter), n)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl KingdeeState {
    /// The state at `now` (unix seconds): the time of the seeded base data.
    pub(crate) fn new(config: KingdeeConfig, salt: u64, now: i64) -> Self {
        let mut master = config.master_data.clone();
        master.add_generated_materials(config.extra_materials);
        master.set_seed_time(now);
        KingdeeState {
            master: RwLock::new(master),
            resumes: super::query::Resumes::default(),
            sessions: Sessions::new(config.session_idle, salt),
            store: BillStore::new(),
            forms: FormSpec::builtin(),
            submitted: super::steps::Submitted::default(),
            quirks: Mutex::new(config.quirks.clone()),
            in_flight: std::sync::atomic::AtomicU32::new(0),
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

    /// The base data, read.
    pub(crate) fn master(&self) -> RwLockReadGuard<'_, MasterData> {
        self.master.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The base data, to change.
    pub(crate) fn master_mut(&self) -> RwLockWriteGuard<'_, MasterData> {
        self.master.write().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn form(&self, id: &str) -> Option<&FormSpec> {
        self.forms
            .iter()
            .find(|f| f.form_id.eq_ignore_ascii_case(id))
    }
}
