//! OCI repositories in the native API: packages of ecosystem `oci` whose versions are tags.

use super::*;
use trove_testkit::{both_backends, Backend};

async fn repositories_appear_as_packages(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let m1 = oci.push_image("alice/app", "v1", &[b"one"]).await;
    let m2 = oci.push_image("alice/app", "latest", &[b"two"]).await;
    oci.push_image("alice/team/tool", "1.0", &[b"nested"]).await;

    let pkg = json_ok(app.get("/api/v1/packages/alice/app").send().await.unwrap()).await;
    assert_eq!(pkg["ecosystem"], "oci");
    assert_eq!(pkg["full_name"], "alice/app");
    assert_eq!(pkg["visibility"], "public");
    assert_eq!(pkg["latest_version"], "latest");
    let versions = json_ok(app.get("/api/v1/packages/alice/app/versions").send().await.unwrap()).await;
    let versions = versions.as_array().unwrap();
    assert_eq!(versions.len(), 2);
    let v1 = versions.iter().find(|v| v["version"] == "v1").unwrap();
    assert_eq!(v1["digest"], sha256(&m1));
    assert_eq!(v1["size"], m1.len());
    assert_eq!(v1["publisher"], "alice");
    assert_eq!(v1["download_url"], "/v2/alice/app/manifests/v1");
    assert_eq!(v1["manifest"]["mediaType"], OCI_MANIFEST);
    let latest = versions.iter().find(|v| v["version"] == "latest").unwrap();
    assert_eq!(latest["digest"], sha256(&m2));

    // Nested names are one path segment in the native API.
    let pkg = json_ok(app.get("/api/v1/packages/alice/team%2Ftool").send().await.unwrap()).await;
    assert_eq!(pkg["name"], "team/tool");
    let listed = json_ok(app.get("/api/v1/namespaces/alice/packages").send().await.unwrap()).await;
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"app") && names.contains(&"team/tool"), "{names:?}");

    // Deleting the newest tag moves `latest_version` back.
    let res = oci.send(Method::DELETE, "/v2/alice/app/manifests/latest").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let pkg = json_ok(app.get("/api/v1/packages/alice/app").send().await.unwrap()).await;
    assert_eq!(pkg["latest_version"], "v1");
    // A native package of the same name is found first; the OCI one is still served on /v2.
    alice.publish("alice/app", "1.0.0").await;
    let pkg = json_ok(app.get("/api/v1/packages/alice/app").send().await.unwrap()).await;
    assert_eq!(pkg["ecosystem"], "native");
    assert_eq!(
        oci.send(Method::GET, "/v2/alice/app/manifests/v1").await.status(),
        StatusCode::OK
    );
    app.stop().await;
}

both_backends!(repositories_appear_as_packages);
