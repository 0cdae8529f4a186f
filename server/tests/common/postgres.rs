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
        let options = format!("-k {} -c listen_addresses='' -c fsync=off", pg.dir.path().display());
        let log = pg.dir.path().join("log");
        pg.run("pg_ctl", &["-D", data.to_str().unwrap(), "-o", &options, "-l", log.to_str().unwrap(), "-w", "start"]);
        pg
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

impl Drop for Postgres {
    fn drop(&mut self) {
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
