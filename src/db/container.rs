//! Containers for server engines, started through testcontainers.
//!
//! testcontainers-rs has no reaper: a container whose handle is never dropped stays
//! behind. Kensho owns the lifecycle instead: every container it starts carries the
//! label [`MANAGED_LABEL`] and the owning process id; the run removes its containers
//! at the end, and every start-up sweeps containers whose owner process is gone.

use std::collections::HashMap;
use std::time::Duration;

use testcontainers_modules::testcontainers::bollard::Docker;
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

/// Removes containers left by earlier runs whose process has ended. Returns how many
/// were removed.
pub async fn sweep_leftovers(engine: Engine) -> Result<usize, DbError> {
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
    let mut removed = 0;
    for summary in containers {
        let owner_alive = summary
            .labels
            .as_ref()
            .and_then(|labels| labels.get(OWNER_LABEL))
            .and_then(|pid| pid.parse::<u32>().ok())
            .is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if owner_alive {
            continue;
        }
        if let Some(id) = summary.id {
            let options = RemoveContainerOptionsBuilder::new()
                .force(true)
                .v(true)
                .build();
            if docker.remove_container(&id, Some(options)).await.is_ok() {
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// A started server container and the admin URL that reaches it on 127.0.0.1.
pub struct StartedContainer {
    pub container: ContainerAsync<GenericImage>,
    pub admin_url: String,
}

/// Starts one container for `engine` from `spec`.
///
/// The official images are configured through their environment variables; images
/// built from Debian packages (see `.ci/engines.sh`) carry their own start command
/// and ignore them. Readiness is the server's log line, then a successful login
/// (official images log "ready" once during initialisation before restarting).
pub async fn start(engine: Engine, spec: &ImageSpec) -> Result<StartedContainer, DbError> {
    docker(engine).await?;
    let (port, ready_line, scheme, user) = match engine {
        Engine::Postgres => (
            5432,
            "database system is ready to accept connections",
            "postgres",
            "postgres",
        ),
        Engine::MariaDb => (3306, "ready for connections", "mysql", "root"),
        Engine::Sqlite => {
            return Err(unavailable(
                engine,
                "SQLite runs embedded, not in a container",
            ));
        }
    };
    let request = GenericImage::new(spec.image.as_str(), spec.tag.as_str())
        .with_exposed_port(port.tcp())
        .with_wait_for(WaitFor::message_on_stderr(ready_line))
        .with_label(MANAGED_LABEL, "true")
        .with_label(OWNER_LABEL, std::process::id().to_string())
        .with_startup_timeout(STARTUP_TIMEOUT)
        .with_env_var("POSTGRES_HOST_AUTH_METHOD", "trust")
        .with_env_var("MARIADB_ALLOW_EMPTY_ROOT_PASSWORD", "1");
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
        admin_url: format!("{scheme}://{user}@127.0.0.1:{host_port}"),
    })
}
