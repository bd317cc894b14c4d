//! The official Kingdee Python SDK (kingdee-cdp-webapi-sdk) against the
//! sandbox: tests/python/kingdee_sdk_roundtrip.py BatchSaves a purchase order
//! and reads it back. The SDK signs with its own code, so this is the
//! independent check that duijie's signing and the sandbox's verification do
//! not share a mistake.

mod common;

use std::process::Command;

use common::*;
use duijie_sandbox::SandboxConfig;

const PIP: &str = "pip install kingdee-cdp-webapi-sdk";

#[tokio::test]
async fn official_python_sdk_round_trip() {
    match Command::new("python3")
        .args(["-c", "import k3cloud_webapi_sdk"])
        .output()
    {
        Err(e) => panic!("python3 cannot be run ({e}); install Python 3, then `{PIP}`"),
        Ok(out) if !out.status.success() => panic!(
            "the official Kingdee SDK is not installed for python3: run `{PIP}`\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Ok(_) => {}
    }
    // The SDK signs with the real clock.
    let sandbox = start(SandboxConfig {
        fixed_now: None,
        ..config()
    })
    .await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/python/kingdee_sdk_roundtrip.py"
    );
    let base = sandbox.base_url();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .arg(base)
            .arg("PYSDK-0001")
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "kingdee_sdk_roundtrip.py failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(stdout.contains("ok: PYSDK-0001"), "{stdout}");
    let control = sandbox.control();
    assert_eq!(
        control.bill_count_by_number("PUR_PurchaseOrder", "PYSDK-0001"),
        1
    );
    assert_eq!(control.bill_count("PUR_PurchaseOrder"), 1);
}
