//! Where an engine's server comes from, chosen per run.
//!
//! | engine   | default provider            | explicit URL             | container image (default)        |
//! |----------|-----------------------------|--------------------------|----------------------------------|
//! | sqlite   | embedded files              | –                        | –                                |
//! | postgres | testcontainers              | `KENSHO_POSTGRES_URL`    | `KENSHO_POSTGRES_IMAGE`:`KENSHO_POSTGRES_TAG` (`postgres:16`) |
//! | mariadb  | testcontainers              | `KENSHO_MARIADB_URL`     | `KENSHO_MARIADB_IMAGE`:`KENSHO_MARIADB_TAG` (`mariadb:11.4`)  |
//!
//! A URL points at a server Kensho may create and drop databases on (an admin
//! login); Kensho creates one database per scenario there and never touches others.

use std::path::PathBuf;

use super::Engine;

/// A container image name and tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageSpec {
    pub image: String,
    pub tag: String,
}

impl ImageSpec {
    /// The official image the engine's container provider uses unless configured.
    pub fn official(engine: Engine) -> Option<ImageSpec> {
        let (image, tag) = match engine {
            Engine::Sqlite => return None,
            Engine::Postgres => ("postgres", "16"),
            Engine::MariaDb => ("mariadb", "11.4"),
        };
        Some(ImageSpec {
            image: image.into(),
            tag: tag.into(),
        })
    }
}

/// Where one engine's server comes from in this run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProviderSource {
    /// SQLite database files below this folder.
    Embedded { dir: PathBuf },
    /// An existing server reached through this URL (may contain a password: show it
    /// only through [`super::redact::redact_url`]).
    Url(String),
    /// A container started for this run from this image.
    Container(ImageSpec),
}

impl ProviderSource {
    /// The provider for `engine`, read from the environment through `var`
    /// (a function so tests need not touch the process environment). A URL's
    /// passwords are registered as secrets ([`kensho_shared::secret`]): no output
    /// of the run shows them.
    pub fn resolve(
        engine: Engine,
        var: impl Fn(&str) -> Option<String>,
        sqlite_dir: PathBuf,
    ) -> ProviderSource {
        let prefix = match engine {
            Engine::Sqlite => return ProviderSource::Embedded { dir: sqlite_dir },
            Engine::Postgres => "KENSHO_POSTGRES",
            Engine::MariaDb => "KENSHO_MARIADB",
        };
        let non_empty = |name: String| var(&name).filter(|v| !v.trim().is_empty());
        if let Some(url) = non_empty(format!("{prefix}_URL")) {
            kensho_shared::secret::register_url(&url);
            return ProviderSource::Url(url);
        }
        let official = ImageSpec::official(engine).expect("server engines have an image");
        ProviderSource::Container(ImageSpec {
            image: non_empty(format!("{prefix}_IMAGE")).unwrap_or(official.image),
            tag: non_empty(format!("{prefix}_TAG")).unwrap_or(official.tag),
        })
    }

    /// How this provider is named in output (URLs redacted).
    pub fn describe(&self) -> String {
        match self {
            ProviderSource::Embedded { dir } => format!("embedded files in {}", dir.display()),
            ProviderSource::Url(url) => format!("server at {}", super::redact::redact_url(url)),
            ProviderSource::Container(spec) => {
                format!("container {}:{} (testcontainers)", spec.image, spec.tag)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve(engine: Engine, vars: &[(&str, &str)]) -> ProviderSource {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ProviderSource::resolve(engine, |k| vars.get(k).cloned(), PathBuf::from("t"))
    }

    #[test]
    fn url_wins_over_container_and_images_are_configurable() {
        assert_eq!(
            resolve(
                Engine::Postgres,
                &[("KENSHO_POSTGRES_URL", "postgres://u@h/db")]
            ),
            ProviderSource::Url("postgres://u@h/db".into())
        );
        assert_eq!(
            resolve(Engine::MariaDb, &[]),
            ProviderSource::Container(ImageSpec::official(Engine::MariaDb).unwrap())
        );
        assert_eq!(
            resolve(
                Engine::Postgres,
                &[
                    ("KENSHO_POSTGRES_IMAGE", "kensho/postgres"),
                    ("KENSHO_POSTGRES_TAG", "15")
                ]
            ),
            ProviderSource::Container(ImageSpec {
                image: "kensho/postgres".into(),
                tag: "15".into()
            })
        );
        assert!(matches!(
            resolve(Engine::Sqlite, &[]),
            ProviderSource::Embedded { .. }
        ));
    }

    #[test]
    fn described_urls_hide_passwords() {
        let shown = ProviderSource::Url("mysql://root:pw@127.0.0.1:3306".into()).describe();
        assert!(!shown.contains(":pw@"), "{shown}");
        let shown = ProviderSource::Url(
            "postgres://postgres@db:5432/postgres?sslmode=require&password=s3cret&sslpassword=k3y"
                .into(),
        )
        .describe();
        assert_eq!(
            shown,
            "server at postgres://postgres@db:5432/postgres?sslmode=require&password=***&sslpassword=***"
        );
    }
}
