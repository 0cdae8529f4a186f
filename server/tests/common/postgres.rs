//! A throwaway PostgreSQL cluster for a test: `initdb` into a temporary
//! folder, the server listening only on a Unix socket in that folder (no
//! port, no system service), stopped and removed when dropped. Uses
//! Debian's `postgresql` package (`scripts/bootstrap.sh` installs it).
//! `initdb` refuses to run as root, which CI is: then the cluster belongs to
//! the `postgres` user the package creates.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
}

/// The folder of the PostgreSQL programs: where `pg_ctl` on `PATH` really
/// is, else the newest version under `/usr/lib/postgresql` (Debian's).
fn bin_dir() -> PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("pg_ctl"))
            .find(|p| p.exists())
            .and_then(|p| std::fs::canonicalize(p).ok())
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .filter(|dir| dir.join("initdb").exists())
    });
    if let Some(dir) = on_path {
        return dir;
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed: run scripts/bootstrap.sh (or apt-get install postgresql)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort_by_key(|p| p.parent().and_then(|v| v.file_name()).and_then(|v| v.to_str()?.parse::<u32>().ok()));
    versions.pop().expect("no PostgreSQL server under /usr/lib/postgresql")
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false)
}

impl Postgres {
    /// A new cluster, started; its superuser is `notify`, with no password
    /// (only this folder's socket reaches it).
    pub fn start() -> Self {
        let dir = tempfile::Builder::new().prefix("notify-pg-").tempdir().unwrap();
        let bin = bin_dir();
        let as_postgres = is_root();
        if as_postgres {
            let status = Command::new("chown").arg("postgres:postgres").arg(dir.path()).status().unwrap();
            assert!(status.success(), "could not give the cluster's folder to the postgres user");
        }
        let pg = Self { dir, bin, as_postgres };
        let data = pg.dir.path().join("data");
        pg.run("initdb", &["-D", data.to_str().unwrap(), "-U", "notify", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        pg.start_server();
        pg
    }

    /// Starts the cluster's server (again, after [`Self::stop_server`]).
    pub fn start_server(&self) {
        let data = self.dir.path().join("data");
        let options =
            format!("-k {} -c listen_addresses='' -c fsync=off -c max_connections=400", self.dir.path().display());
        let log = self.dir.path().join("log");
        self.run("pg_ctl", &["-D", data.to_str().unwrap(), "-o", &options, "-l", log.to_str().unwrap(), "-w", "start"]);
    }

    /// Stops the cluster's server at once (as a crash would), keeping its data.
    pub fn stop_server(&self) {
        self.stop();
    }

    fn run(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        let output = if self.as_postgres {
            Command::new("runuser").args(["-u", "postgres", "--"]).arg(&program).args(args).output()
        } else {
            Command::new(&program).args(args).output()
        }
        .unwrap_or_else(|e| panic!("could not run {}: {e}", program.display()));
        assert!(
            output.status.success(),
            "{} failed: {}{}",
            program.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// A `DATABASE_URL` for database `database` (through this cluster's
    /// socket folder).
    pub fn url(&self, database: &str) -> String {
        format!("postgres://notify@localhost/{database}?host={}", self.dir.path().display())
    }

    /// Makes an empty database `name` (each test its own).
    pub async fn create_database(&self, name: &str) {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect_with(&self.options("postgres")).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.unwrap();
    }

    /// Options to connect to database `database` (`postgres` always exists).
    pub fn options(&self, database: &str) -> sqlx::postgres::PgConnectOptions {
        sqlx::postgres::PgConnectOptions::new().socket(self.dir.path()).username("notify").database(database)
    }
}

/// The cluster the tests of this process share when they run on
/// PostgreSQL ([`backend_url`]), started by the first that asks, stopped and
/// removed when the process exits.
static SHARED: std::sync::OnceLock<Postgres> = std::sync::OnceLock::new();

extern "C" fn stop_shared() {
    if let Some(pg) = SHARED.get() {
        pg.stop();
        let _ = std::fs::remove_dir_all(pg.dir.path());
    }
}

/// Whether this run's tests put their databases on PostgreSQL
/// (`NOTIFY_TEST_BACKEND=postgres`, as `make test` runs them a second time).
pub fn on_postgres() -> bool {
    std::env::var("NOTIFY_TEST_BACKEND").is_ok_and(|v| v == "postgres")
}

/// A `DATABASE_URL` for a new, empty database of its own, on the shared
/// cluster, when this run is on PostgreSQL; `None` on SQLite.
pub async fn backend_url() -> Option<String> {
    if !on_postgres() {
        return None;
    }
    let pg = SHARED.get_or_init(|| {
        let pg = Postgres::start();
        // SAFETY: registers a plain function to run at exit; it touches only
        // the cluster started here.
        unsafe { libc::atexit(stop_shared) };
        pg
    });
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = format!("test_{}", NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
    pg.create_database(&name).await;
    Some(pg.url(&name))
}

impl Postgres {
    fn stop(&self) {
        let data = self.dir.path().join("data");
        let program = self.bin.join("pg_ctl");
        let args = ["-D", data.to_str().unwrap(), "-m", "immediate", "-w", "stop"];
        let _ = if self.as_postgres {
            Command::new("runuser").args(["-u", "postgres", "--"]).arg(&program).args(args).output()
        } else {
            Command::new(&program).args(args).output()
        };
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}
