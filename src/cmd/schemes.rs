//! `duijie schemes`: the schemes compiled into this binary.
//!
//! One line per scheme: its name, source API, target operation and form,
//! title and file. `--json` prints their metadata (source request, paging,
//! target options, id and number fields) as a JSON array instead.

use std::fmt::Write as _;
use std::io::Write as _;

use duijie_maplib::SchemeMeta;

#[derive(Debug, clap::Args)]
pub struct SchemesArgs {
    /// Print each scheme's metadata as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: SchemesArgs, registry: &crate::Registry) -> anyhow::Result<i32> {
    let mappers = registry.mappers();
    let metas: Vec<&SchemeMeta> = mappers.iter().map(|m| m.meta()).collect();
    let text = if args.json {
        format!("{}\n", serde_json::to_string_pretty(&metas)?)
    } else {
        table(&metas)
    };
    // A closed pipe (`| head`) is not an error.
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(0),
    }
}

/// The schemes as a table, one per line:
/// `wdt_purchase_to_kingdee  wdt.purchase_order_query → kingdee.BatchSave PUR_PurchaseOrder  旺店通采购单 → 金蝶采购订单 (maps/…)`.
pub fn table(metas: &[&SchemeMeta]) -> String {
    let rows: Vec<(String, String, String)> = metas
        .iter()
        .map(|m| {
            let route = format!(
                "{}.{} → {}.{} {}",
                m.source.system,
                m.source.api,
                m.target.system,
                m.target.operation,
                m.target.form_id
            );
            let about = match &m.title {
                Some(t) => format!("{t} ({})", m.file),
                None => m.file.clone(),
            };
            (m.name.clone(), route, about)
        })
        .collect();
    let name_w = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let route_w = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (name, route, about) in rows {
        let _ = writeln!(
            out,
            "{name}{}  {route}{}  {about}",
            " ".repeat(name_w - name.chars().count()),
            " ".repeat(route_w - route.chars().count())
        );
    }
    if out.is_empty() {
        out.push_str(
            "no schemes are compiled in (add .map files to maps/ and rebuild; docs/projects.md)\n",
        );
    }
    out
}
