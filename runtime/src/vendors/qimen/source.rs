//! 旺店通 through Qimen as the engine's [`Source`].

use std::sync::Arc;

use super::Client;
use crate::engine::{BoxFuture, Source, SourcePage};
use crate::error::Error;

/// 旺店通 through Qimen as a [`Source`].
pub struct QimenSource {
    pub client: Arc<Client>,
    pub method: String,
    pub list_key: String,
}

impl Source for QimenSource {
    fn query<'a>(
        &'a self,
        params: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<SourcePage, Error>> {
        Box::pin(async move {
            let page = self
                .client
                .query(&self.method, &self.list_key, params)
                .await?;
            Ok(SourcePage {
                total_count: page.total_count,
                records: page.records,
                listed: page.listed,
            })
        })
    }
}

/// The Qimen gateway URL of a connection: `base_url` plus `/router/qm`
/// unless it already ends so.
pub fn qimen_url(base_url: &str) -> String {
    let b = base_url.trim_end_matches('/');
    if b.ends_with("/router/qm") {
        b.to_string()
    } else {
        format!("{b}/router/qm")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qimen_urls_end_with_the_router() {
        assert_eq!(qimen_url("http://h:1"), "http://h:1/router/qm");
        assert_eq!(qimen_url("http://h:1/router/qm/"), "http://h:1/router/qm");
    }
}
