# No password leaves through a program's output: Kensho runs itself as a program
# (fixtures/runner/clean_kensho.sh, on the server of the scenario's database given
# by URL, with that URL's password) on programs that print their database URL —
# on standard output, in their whole environment, and on standard error as they
# fail — and its console output and every report show the URLs with `***` for the
# password. The administrator's server URLs of Kensho's own environment
# (KENSHO_POSTGRES_URL, KENSHO_MARIADB_URL, here given made-up ones beside the
# real one) never reach a program.
#
# On SQLite a database URL has no password: what is checked there is that the
# programs ran, printed their URLs, and inherited no administrator's URL; the
# masking itself is also checked without a server by the unit tests of
# src/command.rs and shared/src/secret.rs.
#
# @serial(runner): the run removes what ended runs left on its server, as the runs
# of features/runner/clean_ends.feature do.
@serial(runner)
Feature: No password leaves through a program's output

  Scenario: Programs that print their database URL show it without its password, on the console and in every report
    When the command "sh -c 'mkdir -p target/kensho/runner-reports; KENSHO_POSTGRES_URL=postgres://admin:Withheld-Pg7@127.0.0.1:1/postgres KENSHO_MARIADB_URL=mysql://root:Withheld-Ma7@127.0.0.1:1 sh fixtures/runner/clean_kensho.sh secrets --features fixtures/runner/secrets_print.feature > target/kensho/runner-reports/secrets.out'" runs
    Then it exits with code 1
    And the file "target/kensho/runner-reports/secrets.out" contains "4 scenarios: 3 passed, 1 failed"
    And the file "target/kensho/runner-reports/secrets.out" contains "cannot reach "
    And the file "target/kensho/runner-reports/secrets.out" shows no password of the scenario's database
    And the file "target/kensho/runner-reports/secrets.out" does not contain "Withheld-"
    And the file "target/kensho/runner-reports/secrets/junit.xml" contains "DATABASE_URL="
    And the file "target/kensho/runner-reports/secrets/junit.xml" shows no password of the scenario's database
    And the file "target/kensho/runner-reports/secrets/junit.xml" does not contain "Withheld-"
    And the file "target/kensho/runner-reports/secrets/report.html" contains "DATABASE_URL="
    And the file "target/kensho/runner-reports/secrets/report.html" shows no password of the scenario's database
    And the file "target/kensho/runner-reports/secrets/cucumber.json" contains "DATABASE_URL="
    And the file "target/kensho/runner-reports/secrets/cucumber.json" shows no password of the scenario's database
    And the file "target/kensho/runner-reports/secrets/messages.ndjson" contains "DATABASE_URL="
    And the file "target/kensho/runner-reports/secrets/messages.ndjson" shows no password of the scenario's database
