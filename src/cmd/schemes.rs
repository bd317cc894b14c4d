//! `duijie schemes`: the schemes compiled into this binary.
//!
//! One line per scheme: its name, source API, target operation and form,
//! title and file. `--json` prints their metadata (source request, paging,
//! target options, id and number fields) as a JSON array instead.
//! `--library` lists the ready schemes of the library `duijie new --from`
//! starts from (docs/schemes.md): name, source → target, and one line on
//! what each does.

use std::fmt::Write as _;
use std::io::Write as _;

use duijie_maplib::SchemeMeta;

#[derive(Debug, clap::Args)]
pub struct SchemesArgs {
    /// Print each scheme's metadata as JSON.
    #[arg(long)]
    pub json: bool,
    /// List the scheme library (the ready schemes `duijie new --from` copies)
    /// instead of the compiled schemes.
    #[arg(long)]
    pub library: bool,
}

pub fn run(args: SchemesArgs, registry: &crate::Registry) -> anyhow::Result<i32> {
    let mappers = registry.mappers();
    let metas: Vec<&SchemeMeta> = mappers.iter().map(|m| m.meta()).collect();
    let text = if args.library {
        let entries = library_entries();
        if args.json {
            format!("{}\n", serde_json::to_string_pretty(&entries)?)
        } else {
            library_table(&entries)
        }
    } else if args.json {
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

/// One scheme of the library (`duijie schemes --library`): what its `.map`
/// file declares and the first sentence its header comment says after the
/// title line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LibraryEntry {
    pub name: String,
    pub title: Option<String>,
    /// `system.api` of the source.
    pub source: String,
    /// `system.operation form` of the target.
    pub target: String,
    pub about: String,
    /// Where it is in the library (`maps/NAME.map`).
    pub file: String,
}

/// The library entry of a scheme's text; `None` when it does not parse or
/// lacks a scheme, source or target header (a library file of tables).
pub fn library_entry(stem: &str, text: &str) -> Option<LibraryEntry> {
    use duijie_dsl::ast::Item;
    let file = duijie_dsl::parse(text).ok()?;
    let (mut name, mut title, mut source, mut target) = (None, None, None, None);
    for item in &file.items {
        match item {
            Item::Scheme(s) => {
                name = Some(s.name.name.clone());
                title = s.title.as_ref().map(|t| t.value.clone());
            }
            Item::Source(s) => source = Some(format!("{}.{}", s.system.name, s.api_name())),
            Item::Target(t) => {
                target = Some(format!(
                    "{}.{} {}",
                    t.system.name, t.operation.name, t.form.name
                ))
            }
            _ => {}
        }
    }
    Some(LibraryEntry {
        name: name?,
        title,
        source: source?,
        target: target?,
        about: header_sentence(text),
        file: format!("maps/{stem}.map"),
    })
}

/// The first sentence of a file's leading `//` comment after its first line.
fn header_sentence(text: &str) -> String {
    let comment: Vec<&str> = text
        .lines()
        .map_while(|l| l.trim_start().strip_prefix("//"))
        .map(str::trim)
        .skip(1)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .collect();
    let joined = comment.join(" ");
    let end = joined
        .char_indices()
        .find(|&(i, c)| {
            c == '。'
                || (c == '.'
                    && joined[i + 1..]
                        .chars()
                        .next()
                        .is_none_or(char::is_whitespace))
        })
        .map_or(joined.len(), |(i, c)| i + c.len_utf8());
    joined[..end].to_string()
}

/// The library's schemes as a table, one per line:
/// `NAME  SOURCE → TARGET  what it does`.
pub fn library_table(entries: &[LibraryEntry]) -> String {
    let name_w = entries
        .iter()
        .map(|e| e.name.chars().count())
        .max()
        .unwrap_or(0);
    let routes: Vec<String> = entries
        .iter()
        .map(|e| format!("{} → {}", e.source, e.target))
        .collect();
    let route_w = routes.iter().map(|r| r.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (e, route) in entries.iter().zip(&routes) {
        let _ = writeln!(
            out,
            "{}{}  {route}{}  {}",
            e.name,
            " ".repeat(name_w - e.name.chars().count()),
            " ".repeat(route_w - route.chars().count()),
            e.about
        );
    }
    out.push_str("start from one with: duijie new DIR --from NAME (docs/schemes.md)\n");
    out
}

/// Every scheme of the library embedded in this binary, by name.
pub fn library_entries() -> Vec<LibraryEntry> {
    super::new::library_schemes()
        .into_iter()
        .filter_map(|stem| library_entry(stem, super::new::library_scheme_text(stem)?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_library_entry_reads_the_header_and_its_first_sentence() {
        let text = "// 旺店通 A → 金蝶 B\n// Does one thing. Then more\n// on the next line.\n//\n// Details.\nscheme s \"标题\"\n\
                    source wdt.purchase_order_query { page_no = PAGE_NO }\n\
                    target kingdee.BatchSave PUR_PurchaseOrder { }\n";
        let e = library_entry("s", text).unwrap();
        assert_eq!(e.name, "s");
        assert_eq!(e.title.as_deref(), Some("标题"));
        assert_eq!(e.source, "wdt.purchase_order_query");
        assert_eq!(e.target, "kingdee.BatchSave PUR_PurchaseOrder");
        assert_eq!(e.about, "Does one thing.");
        assert_eq!(e.file, "maps/s.map");
        // A library of tables is no scheme.
        assert!(library_entry("t", "table t { \"a\" => \"b\" }\n").is_none());
    }

    #[test]
    fn the_library_lists_every_ready_scheme_with_its_route() {
        let entries = library_entries();
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        for name in [
            "wdt_purchase_to_kingdee",
            "wdtqm_stockin_to_kingdee",
            "wdt_sales_out_to_kingdee",
            "wdt_stockin_purchase_to_kingdee",
            "wdt_refund_to_kingdee",
            "wdt_purchase_return_to_kingdee",
            "wdt_goods_to_kingdee",
        ] {
            assert!(names.contains(&name), "{names:?}");
        }
        let table = library_table(&entries);
        assert!(
            table.contains("wdt.stockout_order_query_trade → kingdee.BatchSave SAL_OUTSTOCK"),
            "{table}"
        );
        for e in &entries {
            assert!(!e.about.is_empty(), "{e:?}");
            assert_eq!(table.lines().filter(|l| l.starts_with(&e.name)).count(), 1);
        }
    }
}
