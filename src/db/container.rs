//! Containers for server engines, started through testcontainers.
//!
//! testcontainers-rs has no reaper: a container whose handle is never dropped stays
//! behind. Kensho owns the lifecycle instead: every container it starts carries the
//! label [`MANAGED_LABEL`] and the owning process id; the run removes its containers
//! at the end, and every start-up sweeps containers whose owner process is gone.

use std::collections::HashMap;
use std::time::Duration;

use testcontainers_modules::testcontainers::bollard::Docker;
use testcontainers_modules::testcontainers::bollard::errors::Error as BollardError;
use testcontainers_modules::testcontainers::bollard::models::{HostConfig, PortBinding};
use testcontainers_modules::testcontainers::bollard::query_parameters::{
    ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
};
use testcontainers_modules::testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers_modules::testcontainers::runners::AsyncRunner;
use testcontainers_modules::testcontainers::{ContainerAsync, GenericImage, ImageExt};

use super::{DbError, Engine, ImageSpec};

/// Label on every container Kensho starts.
pub const MANAGED_LABEL: &str = "dev.kensho.managed";
/// Label holding the process id of the run that started the container.
pub const OWNER_LABEL: &str = "dev.kensho.owner-pid";
/// Label holding the engine the container serves (`postgres`, `mariadb`).
pub const ENGINE_LABEL: &str = "dev.kensho.engine";

/// The engine a container Kensho started serves: its [`ENGINE_LABEL`], or for a
/// container of a Kensho that did not label it, the engine its image is named
/// after (`kensho/mariadb`, `postgres`). `None`: it cannot be told.
pub fn engine_of(labels: Option<&HashMap<String, String>>, image: Option<&str>) -> Option<Engine> {
    if let Some(name) = labels.and_then(|labels| labels.get(ENGINE_LABEL)) {
        return Engine::parse(name).ok();
    }
    let image = image?.to_ascii_lowercase();
    if image.contains("mariadb") || image.contains("mysql") {
        Some(Engine::MariaDb)
    } else if image.contains("postgres") {
        Some(Engine::Postgres)
    } else {
        None
    }
}

/// Whether the start-up sweep of `engine` removes a container of an ended run:
/// one that serves `engine`, so that each engine's sweep names only its own (a
/// container whose engine cannot be told goes with PostgreSQL's sweep, which
/// names its image).
fn swept_by(engine: Engine, labels: Option<&HashMap<String, String>>, image: Option<&str>) -> bool {
    match engine_of(labels, image) {
        Some(served) => served == engine,
        None => engine == Engine::Postgres,
    }
}

/// How long a container may take to report readiness.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

fn unavailable(engine: Engine, reason: impl Into<String>) -> DbError {
    DbError::Unavailable {
        engine,
        reason: reason.into(),
    }
}

/// Connects to the local Docker engine and checks that it answers.
async fn docker(engine: Engine) -> Result<Docker, DbError> {
    let hint =
        "start the Docker engine, or give the server's URL (README: Choosing engines and servers)";
    let docker = Docker::connect_with_local_defaults()
        .map_err(|e| unavailable(engine, format!("no Docker engine ({e}); {hint}")))?;
    match tokio::time::timeout(Duration::from_secs(5), docker.ping()).await {
        Ok(Ok(_)) => Ok(docker),
        Ok(Err(e)) => Err(unavailable(
            engine,
            format!("the Docker engine does not answer ({e}); {hint}"),
        )),
        Err(_) => Err(unavailable(
            engine,
            format!("the Docker engine did not answer within 5 s; {hint}"),
        )),
    }
}

/// Removes containers left by earlier runs whose process has ended. Returns one
/// sentence per container removed (or that could not be), for the runner to say.
pub async fn sweep_leftovers(engine: Engine) -> Result<Vec<String>, DbError> {
    let docker = docker(engine).await?;
    let filters = HashMap::from([("label", vec![MANAGED_LABEL])]);
    let options = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    let containers = docker
        .list_containers(Some(options))
        .await
        .map_err(|e| unavailable(engine, format!("listing containers: {e}")))?;
    let mut said = Vec::new();
    for summary in containers {
        let owner_alive = summary
            .labels
            .as_ref()
            .and_then(|labels| labels.get(OWNER_LABEL))
            .and_then(|pid| pid.parse::<u32>().ok())
            .is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if owner_alive || !swept_by(engine, summary.labels.as_ref(), summary.image.as_deref()) {
            continue;
        }
        if let Some(id) = summary.id {
            let shown = format!(
                "container {} ({}, {})",
                &id[..id.len().min(12)],
                summary.image.as_deref().unwrap_or("?"),
                summary.status.as_deref().unwrap_or("?")
            );
            let options = RemoveContainerOptionsBuilder::new()
                .force(true)
                .v(true)
                .build();
            match docker.remove_container(&id, Some(options)).await {
                Ok(()) => said.push(format!("removed {shown} left by an ended run")),
                Err(e) => said.push(format!(
                    "could not remove {shown} left by an ended run: {e} (docker rm -f {id})"
                )),
            }
        }
    }
    Ok(said)
}

/// Removes container `id` (forced, with its volumes).
pub async fn remove(engine: Engine, id: &str) -> Result<(), DbError> {
    let docker = docker(engine).await?;
    let options = RemoveContainerOptionsBuilder::new()
        .force(true)
        .v(true)
        .build();
    docker
        .remove_container(id, Some(options))
        .await
        .map_err(|e| unavailable(engine, format!("removing container {id}: {e}")))
}

/// Whether a container runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// It runs.
    Running,
    /// It has stopped, with this exit code if Docker knows it.
    Stopped {
        /// The exit code of its main process.
        exit_code: Option<i64>,
    },
    /// There is no such container (any more).
    Missing,
}

/// The state of container `id`.
pub async fn state(engine: Engine, id: &str) -> Result<State, DbError> {
    let docker = docker(engine).await?;
    match docker.inspect_container(id, None).await {
        Ok(inspected) => {
            let state = inspected.state.unwrap_or_default();
            Ok(if state.running == Some(true) {
                State::Running
            } else {
                State::Stopped {
                    exit_code: state.exit_code,
                }
            })
        }
        Err(BollardError::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(State::Missing),
        Err(e) => Err(unavailable(
            engine,
            format!("inspecting container {id}: {e}"),
        )),
    }
}

/// A started server container and the admin URL that reaches it on 127.0.0.1.
pub struct StartedContainer {
    pub container: ContainerAsync<GenericImage>,
    pub admin_url: String,
}

/// The only host address a container's port is published on: a container is
/// reached from this machine, never from the network.
pub const PUBLISHED_ON: &str = "127.0.0.1";

/// A new random password for one container's administrator (32 hexadecimal
/// digits from the operating system's random source).
pub fn new_password() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The administrator's URL of a container whose port is published as `host_port`
/// on [`PUBLISHED_ON`], password included (percent-encoded where needed).
pub fn admin_url(scheme: &str, user: &str, password: &str, host_port: u16) -> String {
    match url::Url::parse(&format!("{scheme}://{PUBLISHED_ON}:{host_port}")) {
        Ok(mut url) => {
            // Both succeed on a URL with a host.
            let _ = url.set_username(user);
            let _ = url.set_password(Some(password));
            url.to_string()
        }
        Err(_) => format!("{scheme}://{user}:{password}@{PUBLISHED_ON}:{host_port}"),
    }
}

/// Where each engine's images keep their data: the Debian-built images of
/// `.ci/engines.sh` and the official ones (`/var/lib/postgresql/data` is the
/// official PostgreSQL image's volume).
fn data_dirs(engine: Engine) -> &'static [&'static str] {
    match engine {
        Engine::Postgres => &["/var/lib/postgresql", "/var/lib/postgresql/data"],
        Engine::MariaDb => &["/var/lib/mysql"],
        Engine::Sqlite => &[],
    }
}

/// The most memory a container's data may take: a run's databases are copies of
/// a template of a few megabytes, dropped as scenarios end.
const DATA_IN_MEMORY: &str = "rw,size=4g";

/// Keeps the server's data in memory (tmpfs): a container's data lives as long
/// as the container, and a copy of the template on the container's layered
/// file system took half a second where in memory it takes milliseconds.
pub fn data_in_memory(host_config: &mut HostConfig, engine: Engine) {
    host_config.tmpfs = Some(
        data_dirs(engine)
            .iter()
            .map(|dir| (dir.to_string(), DATA_IN_MEMORY.to_string()))
            .collect(),
    );
}

/// Publishes the container's `port` on [`PUBLISHED_ON`] only (a free host port of
/// Docker's choosing), instead of on every address of the host.
pub fn publish_on_loopback(host_config: &mut HostConfig, port: u16) {
    host_config.publish_all_ports = Some(false);
    host_config.port_bindings = Some(HashMap::from([(
        format!("{port}/tcp"),
        Some(vec![PortBinding {
            host_ip: Some(PUBLISHED_ON.to_string()),
            host_port: Some(String::new()),
        }]),
    )]));
}

/// Starts one container for `engine` from `spec`, with a new random administrator
/// password, its port published on 127.0.0.1 only.
///
/// The password goes to the container as `POSTGRES_PASSWORD` or
/// `MARIADB_ROOT_PASSWORD`, which the official images and the images built from
/// Debian packages (see `.ci/engines.sh`) both require. Readiness is the log line
/// of the server that serves the network (the official images first start a
/// server for their initialisation that listens on no port: PostgreSQL's logs to
/// standard output, MariaDB's says "port: 0").
pub async fn start(engine: Engine, spec: &ImageSpec) -> Result<StartedContainer, DbError> {
    docker(engine).await?;
    let (port, ready_line, scheme, user, password_variable) = match engine {
        Engine::Postgres => (
            5432,
            "database system is ready to accept connections",
            "postgres",
            "postgres",
            "POSTGRES_PASSWORD",
        ),
        Engine::MariaDb => (3306, "port: 3306", "mysql", "root", "MARIADB_ROOT_PASSWORD"),
        Engine::Sqlite => {
            return Err(unavailable(
                engine,
                "SQLite runs embedded, not in a container",
            ));
        }
    };
    let password = new_password().map_err(|e| {
        unavailable(
            engine,
            format!("cannot make a password for the container (/dev/urandom: {e})"),
        )
    })?;
    kensho_shared::secret::register(&password);
    let request = GenericImage::new(spec.image.as_str(), spec.tag.as_str())
        .with_exposed_port(port.tcp())
        .with_wait_for(WaitFor::message_on_stderr(ready_line))
        .with_label(MANAGED_LABEL, "true")
        .with_label(OWNER_LABEL, std::process::id().to_string())
        .with_label(ENGINE_LABEL, engine.name())
        .with_startup_timeout(STARTUP_TIMEOUT)
        .with_env_var(password_variable, password.as_str())
        .with_host_config_modifier(move |host_config| {
            publish_on_loopback(host_config, port);
            data_in_memory(host_config, engine);
        });
    let container = request.start().await.map_err(|e| {
        unavailable(
            engine,
            format!(
                "container {}:{} did not start: {e} (without a registry, build a local image and set KENSHO_{}_IMAGE/_TAG; README: Choosing engines and servers)",
                spec.image,
                spec.tag,
                engine.name().to_ascii_uppercase()
            ),
        )
    })?;
    let host_port = container
        .get_host_port_ipv4(port.tcp())
        .await
        .map_err(|e| {
            unavailable(
                engine,
                format!("container port {port} is not published: {e}"),
            )
        })?;
    Ok(StartedContainer {
        container,
        admin_url: admin_url(scheme, user, &password, host_port),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_engines_sweep_takes_only_its_own_containers() {
        let labelled = |engine: &str| {
            HashMap::from([
                (MANAGED_LABEL.to_string(), "true".to_string()),
                (ENGINE_LABEL.to_string(), engine.to_string()),
            ])
        };
        let mariadb = labelled("mariadb");
        // A MariaDB container is MariaDB's to remove and name, whatever its image.
        assert!(!swept_by(
            Engine::Postgres,
            Some(&mariadb),
            Some("kensho/mariadb:10.11-2")
        ));
        assert!(swept_by(Engine::MariaDb, Some(&mariadb), Some("my/db:1")));
        let postgres = labelled("postgres");
        assert!(swept_by(
            Engine::Postgres,
            Some(&postgres),
            Some("kensho/postgres:15-2")
        ));
        assert!(!swept_by(
            Engine::MariaDb,
            Some(&postgres),
            Some("kensho/postgres:15-2")
        ));
        // Containers of a Kensho that did not label the engine: by their image.
        let unlabelled = HashMap::from([(MANAGED_LABEL.to_string(), "true".to_string())]);
        assert!(swept_by(
            Engine::MariaDb,
            Some(&unlabelled),
            Some("kensho/mariadb:10.11-2")
        ));
        assert!(!swept_by(
            Engine::Postgres,
            Some(&unlabelled),
            Some("kensho/mariadb:10.11-2")
        ));
        assert!(swept_by(Engine::Postgres, None, Some("postgres:16")));
        // One that cannot be told goes to exactly one sweep.
        assert!(swept_by(Engine::Postgres, None, Some("sha256:0123abcd")));
        assert!(!swept_by(Engine::MariaDb, None, Some("sha256:0123abcd")));
    }

    #[test]
    fn ports_are_published_on_the_loopback_address_only() {
        let mut host_config = HostConfig {
            publish_all_ports: Some(true),
            ..Default::default()
        };
        publish_on_loopback(&mut host_config, 5432);
        assert_eq!(host_config.publish_all_ports, Some(false));
        let bindings = host_config.port_bindings.unwrap();
        assert_eq!(bindings.len(), 1);
        let binding = bindings["5432/tcp"].as_deref().unwrap();
        assert_eq!(binding.len(), 1);
        assert_eq!(binding[0].host_ip.as_deref(), Some("127.0.0.1"));
    }

    #[test]
    fn a_servers_data_is_kept_in_memory() {
        let mut host_config = HostConfig::default();
        data_in_memory(&mut host_config, Engine::MariaDb);
        assert_eq!(
            host_config.tmpfs,
            Some(HashMap::from([(
                "/var/lib/mysql".to_string(),
                "rw,size=4g".to_string()
            )]))
        );
        data_in_memory(&mut host_config, Engine::Postgres);
        let dirs = host_config.tmpfs.unwrap();
        assert!(dirs.contains_key("/var/lib/postgresql"), "{dirs:?}");
        assert!(dirs.contains_key("/var/lib/postgresql/data"), "{dirs:?}");
    }

    #[test]
    fn the_admin_url_carries_the_password_and_shows_without_it() {
        let password = new_password().unwrap();
        assert_eq!(password.len(), 32);
        assert!(
            password.bytes().all(|b| b.is_ascii_hexdigit()),
            "{password}"
        );
        assert_ne!(password, new_password().unwrap());
        let url = admin_url("postgres", "postgres", &password, 49153);
        assert_eq!(
            url,
            format!("postgres://postgres:{password}@127.0.0.1:49153")
        );
        let shown = super::super::redact::redact_url(&url);
        assert_eq!(shown, "postgres://postgres:***@127.0.0.1:49153");
        assert_eq!(
            admin_url("mysql", "root", "p@ss/w:rd", 3306),
            "mysql://root:p%40ss%2Fw%3Ard@127.0.0.1:3306"
        );
    }
}
