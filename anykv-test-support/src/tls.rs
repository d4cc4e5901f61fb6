//! A standalone `redis-server` speaking TLS only to clients with a certificate of its own CA,
//! and the certificates (made by `openssl` for each run) that tests connect with.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::{Launch, ServerProcess};
use crate::redis::{
    answers_ping, build_cluster, server_args, ClusterTls, RedisServer, READY_WITHIN,
};
use crate::tools::find_program;
use crate::TestServer;

/// How to get `openssl`.
pub const OPENSSL_HOW_TO_GET: &str =
    "Install it with `./scripts/test.sh` (which runs `apt-get install openssl` when it is \
     missing) or `apt-get install openssl`.";

/// The files of a TLS test: a CA, the server's certificate, a client certificate, and a second
/// CA the server does not trust (each `.crt` with its `.key`).
pub struct TlsFiles {
    dir: tempfile::TempDir,
}

impl TlsFiles {
    /// Makes the certificates in a new temporary directory: EC P-256 keys, the server's
    /// certificate for `127.0.0.1` and `localhost`, valid for two days.
    pub fn generate() -> Result<Self, String> {
        let openssl = find_program("openssl", OPENSSL_HOW_TO_GET)?;
        let dir = tempfile::tempdir().map_err(|e| format!("cannot make a directory: {e}"))?;
        let files = TlsFiles { dir };
        for ca in ["ca", "other-ca"] {
            files.run(
                &openssl,
                &[
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-days",
                    "2",
                    "-subj",
                    &format!("/CN=anykv test {ca}"),
                    "-keyout",
                    &format!("{ca}.key"),
                    "-out",
                    &format!("{ca}.crt"),
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign",
                ],
            )?;
        }
        for (name, usage) in [("server", "serverAuth"), ("client", "clientAuth")] {
            files.run(
                &openssl,
                &[
                    "req",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-subj",
                    &format!("/CN=anykv test {name}"),
                    "-keyout",
                    &format!("{name}.key"),
                    "-out",
                    &format!("{name}.csr"),
                ],
            )?;
            let extensions = format!(
                "basicConstraints=CA:FALSE\nextendedKeyUsage={usage}\n\
                 subjectAltName=IP:127.0.0.1,DNS:localhost\n"
            );
            std::fs::write(files.path(&format!("{name}.ext")), extensions)
                .map_err(|e| format!("cannot write {name}.ext: {e}"))?;
            files.run(
                &openssl,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &format!("{name}.csr"),
                    "-CA",
                    "ca.crt",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-days",
                    "2",
                    "-out",
                    &format!("{name}.crt"),
                    "-extfile",
                    &format!("{name}.ext"),
                ],
            )?;
        }
        Ok(files)
    }

    /// The path of one of the files (`ca.crt`, `client.key`, `other-ca.crt`, …).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The content of one of the files.
    pub fn read(&self, name: &str) -> Result<Vec<u8>, String> {
        std::fs::read(self.path(name)).map_err(|e| format!("cannot read {name}: {e}"))
    }

    fn run(&self, openssl: &Path, args: &[&str]) -> Result<(), String> {
        let output = Command::new(openssl)
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .map_err(|e| format!("cannot run openssl: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "openssl {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }
}

/// A standalone Debian `redis-server` on a free plain port (for its readiness check only) and
/// a free TLS port, trusting only `files`' CA and asking every client for a certificate
/// (`tls-auth-clients yes`). Its URL is `rediss://127.0.0.1:<tls port>/0`.
pub fn redis_tls(files: &TlsFiles) -> Result<TestServer, String> {
    let program = RedisServer::Debian.program()?;
    let (cert, key, ca) = (
        files.path("server.crt").display().to_string(),
        files.path("server.key").display().to_string(),
        files.path("ca.crt").display().to_string(),
    );
    let args = |ports: &[u16], dir: &Path| {
        let tls_port = ports[1].to_string();
        server_args(
            ports[0],
            dir,
            &[
                "--tls-port",
                &tls_port,
                "--tls-cert-file",
                &cert,
                "--tls-key-file",
                &key,
                "--tls-ca-cert-file",
                &ca,
                "--tls-auth-clients",
                "yes",
            ],
        )
    };
    let launch = Launch {
        name: "redis-server (TLS)",
        program: &program,
        ports: 2,
        args: &args,
        ready: &answers_ping,
        within: READY_WITHIN,
    };
    let process = ServerProcess::launch(&launch)?;
    let tls_port = process.ports.get(1).copied().unwrap_or_default();
    Ok(TestServer {
        url: format!("rediss://127.0.0.1:{tls_port}/0"),
        processes: vec![process],
    })
}

/// A 3-master Debian `redis-server` cluster whose clients and cluster bus speak TLS only with
/// certificates of `files`' CA (`tls-auth-clients yes`): its URL is
/// `rediss+cluster://127.0.0.1:<tls port>,…`.
pub fn redis_tls_cluster(files: &TlsFiles) -> Result<TestServer, String> {
    let path = |name: &str| files.path(name).display().to_string();
    let tls = ClusterTls {
        server_args: vec![
            "--tls-cluster".into(),
            "yes".into(),
            "--tls-cert-file".into(),
            path("server.crt"),
            "--tls-key-file".into(),
            path("server.key"),
            // The bus connects nodes as clients: they present the client certificate.
            "--tls-client-cert-file".into(),
            path("client.crt"),
            "--tls-client-key-file".into(),
            path("client.key"),
            "--tls-ca-cert-file".into(),
            path("ca.crt"),
            "--tls-auth-clients".into(),
            "yes".into(),
        ],
        cli_args: vec![
            "--tls".into(),
            "--cacert".into(),
            path("ca.crt"),
            "--cert".into(),
            path("client.crt"),
            "--key".into(),
            path("client.key"),
        ],
    };
    build_cluster(RedisServer::Debian, Some(&tls))
}
