# The reports tell what the exit code tells (seed of the issue "A green that never
# lies"): each scenario runs Kensho itself as a program on a fixture feature of
# fixtures/runner/ and reads the reports it wrote, in a folder of its own under
# target/kensho/runner-reports/. @serial(runner): the copies of a scenario for each
# engine share that folder, so they run one after the other (beside the rest).
@serial(runner)
Feature: Faithful reports, written whole or not at all

  Scenario: An undefined step is a failure in JUnit and Cucumber JSON, as in the exit code
    When the command "kensho --features fixtures/runner/report_undefined.feature --reports target/kensho/runner-reports/undefined" runs
    Then it exits with code 1
    And the file "target/kensho/runner-reports/undefined/junit.xml" contains "tests="1" failures="1" errors="0" skipped="0""
    And the file "target/kensho/runner-reports/undefined/junit.xml" contains "<failure message="undefined step: When nobody has written a step for this line (line 9): no step definition matches this step&apos;s text"
    And the file "target/kensho/runner-reports/undefined/junit.xml" does not contain "<skipped"
    And the file "target/kensho/runner-reports/undefined/cucumber.json" contains ""error_message": "undefined step: no step definition matches this step's text"
    And the file "target/kensho/runner-reports/undefined/cucumber.json" does not contain ""status": "undefined""
    # The steps after the undefined one are reported, skipped.
    And the file "target/kensho/runner-reports/undefined/cucumber.json" contains ""name": "the business invariants hold""
    And there is no file "target/kensho/runner-reports/undefined/STALE"

  Scenario: Two scenarios of one name are two test cases, told apart by file and line
    When the command "kensho --features fixtures/runner/report_same_names.feature --reports target/kensho/runner-reports/same_names" runs
    Then it succeeds
    And the file "target/kensho/runner-reports/same_names/junit.xml" contains "name="The same name [sqlite] (fixtures/runner/report_same_names.feature:5)""
    And the file "target/kensho/runner-reports/same_names/junit.xml" contains "name="The same name [sqlite] (fixtures/runner/report_same_names.feature:13)""
    And the file "target/kensho/runner-reports/same_names/junit.xml" contains "tests="2" failures="0" errors="0" skipped="0""

  Scenario: Cucumber JSON keeps the keywords as written, the step definitions and the steps after a failure
    When the command "kensho --features fixtures/runner/report_ja.feature --reports target/kensho/runner-reports/ja" runs
    Then it exits with code 1
    And the file "target/kensho/runner-reports/ja/cucumber.json" contains ""keyword": "機能""
    And the file "target/kensho/runner-reports/ja/cucumber.json" contains ""keyword": "シナリオ""
    And the file "target/kensho/runner-reports/ja/cucumber.json" contains ""keyword": "シナリオアウトライン""
    And the file "target/kensho/runner-reports/ja/cucumber.json" does not contain ""keyword": "Feature""
    And the file "target/kensho/runner-reports/ja/cucumber.json" contains ""location": "src/steps/tables.rs:"
    # かつ (line 14) comes after the failed ならば (line 11): reported, skipped.
    And the file "target/kensho/runner-reports/ja/cucumber.json" contains ""keyword": "かつ","
    And the file "target/kensho/runner-reports/ja/cucumber.json" contains ""status": "skipped""
    And the file "target/kensho/runner-reports/ja/report.html" contains "<li class="step skipped"><span class="keyword">かつ</span> <span class="text">the table billing_record has exactly:</span> <span class="step-meta">行 14 ·"

  Scenario: Cucumber Messages hold the feature file, one test case per scenario and engine, and the run's failure
    When the command "kensho --features fixtures/runner/report_ja.feature --reports target/kensho/runner-reports/messages" runs
    Then it exits with code 1
    And the file "target/kensho/runner-reports/messages/messages.ndjson" contains ""protocolVersion":"34.2.1""
    And the file "target/kensho/runner-reports/messages/messages.ndjson" contains ""mediaType":"text/x.cucumber.gherkin+plain","uri":"fixtures/runner/report_ja.feature""
    And the file "target/kensho/runner-reports/messages/messages.ndjson" contains ""keyword":"シナリオアウトライン""
    # Each engine's run of a scenario is a pickle of its own, named and tagged with the engine.
    And the file "target/kensho/runner-reports/messages/messages.ndjson" contains ""name":"失敗の後のステップ [sqlite]""
    And the file "target/kensho/runner-reports/messages/messages.ndjson" contains ""name":"人ごと [sqlite]""
    And the file "target/kensho/runner-reports/messages/messages.ndjson" contains ""name":"@engine-sqlite""
    # The failed step, the one after it, and the closing check the runner adds (a hook, in the
    # language of the file).
    And the file "target/kensho/runner-reports/messages/messages.ndjson" contains ""status":"FAILED""
    And the file "target/kensho/runner-reports/messages/messages.ndjson" contains ""status":"SKIPPED""
    And the file "target/kensho/runner-reports/messages/messages.ndjson" contains ""name":"業務上の不変条件が成り立つ","sourceReference""
    And the file "target/kensho/runner-reports/messages/messages.ndjson" contains ""attempt":0"
    And the file "target/kensho/runner-reports/messages/messages.ndjson" contains "{"testRunFinished":{"success":false"

  Scenario: A feature file that does not parse is a failure naming the file and line
    When the command "kensho --features fixtures/runner/report_unparsable.feature --reports target/kensho/runner-reports/unparsable" runs
    Then it exits with code 2
    And the file "target/kensho/runner-reports/unparsable/junit.xml" contains "failures="1""
    And the file "target/kensho/runner-reports/unparsable/junit.xml" contains "<testcase classname="fixtures/runner/report_unparsable.feature" name="The feature file parses" time="0.000" file="fixtures/runner/report_unparsable.feature" line="9">"
    And the file "target/kensho/runner-reports/unparsable/junit.xml" contains "fixtures/runner/report_unparsable.feature:9: unexpected text &quot;Scenaro: the keyword is misspelt&quot;"
    And the file "target/kensho/runner-reports/unparsable/cucumber.json" contains ""uri": "fixtures/runner/report_unparsable.feature","

  Scenario: Reports pointed at a file stop the run before it starts, naming the path
    When the command "kensho --features fixtures/runner/report_same_names.feature --reports fixtures/runner/report_same_names.feature" runs
    Then it exits with code 2
    And it fails with "the reports folder fixtures/runner/report_same_names.feature is not a folder (a file or a link is there): give --reports a folder of its own"
    And it fails with "(nothing ran)"
    And the file "fixtures/runner/report_same_names.feature" contains "Feature: Two scenarios with one name"

  Scenario: A run that could not start leaves failing reports that say why, and the previous ones aside
    When the command "kensho --features fixtures/runner/report_same_names.feature --reports target/kensho/runner-reports/stale" runs
    Then it succeeds
    And the file "target/kensho/runner-reports/stale/junit.xml" contains "tests="2" failures="0""
    # A bad option stops the run before it starts: the reports stay as they are.
    When the command "kensho --features fixtures/runner/report_same_names.feature --engines nosuch --reports target/kensho/runner-reports/stale" runs
    Then it exits with code 2
    And it fails with "(nothing ran)"
    And there is no file "target/kensho/runner-reports/stale/STALE"
    And the file "target/kensho/runner-reports/stale/junit.xml" contains "tests="2" failures="0""
    # This run starts (the previous reports are stale from then on), and its
    # engine refuses the connection: the reports say that it could not start, and why.
    When the command "sh -c 'KENSHO_POSTGRES_URL=postgres://kensho:secret@127.0.0.1:1/kensho kensho --engines postgres --features fixtures/runner/report_same_names.feature --reports target/kensho/runner-reports/stale'" runs
    Then it exits with code 2
    And the file "target/kensho/runner-reports/stale/STALE" contains "STALE: these are not test results."
    And the file "target/kensho/runner-reports/stale/STALE" contains "could not start, and no scenario ran: required engine(s) unavailable: engine postgres unavailable: cannot log in to postgres://kensho:***@127.0.0.1:1/kensho"
    And the file "target/kensho/runner-reports/stale/STALE" contains "Connection refused"
    And the file "target/kensho/runner-reports/stale/STALE" does not contain "killed, or out of time"
    And the file "target/kensho/runner-reports/stale/STALE" does not contain "secret"
    And the file "target/kensho/runner-reports/stale/junit.xml" contains "tests="1" failures="1""
    And the file "target/kensho/runner-reports/stale/junit.xml" contains "name="The run could not start""
    And the file "target/kensho/runner-reports/stale/report.html" contains "<div class="stale" id="stale" role="alert">"
    And the file "target/kensho/runner-reports/stale.previous/junit.xml" contains "tests="2" failures="0""
    # The next finished run replaces the stand-in whole.
    When the command "kensho --features fixtures/runner/report_same_names.feature --reports target/kensho/runner-reports/stale" runs
    Then it succeeds
    And there is no file "target/kensho/runner-reports/stale/STALE"
    And the file "target/kensho/runner-reports/stale/junit.xml" contains "tests="2" failures="0""

  Scenario: The file steps can fail
    Then the step "the file "Cargo.toml" contains "no such text in the manifest"" fails with "the file Cargo.toml does not contain"
    And the step "the file "Cargo.toml" does not contain "[workspace]"" fails with "the file Cargo.toml contains "[workspace]""
    And the step "there is no file "Cargo.toml"" fails with "the file Cargo.toml exists"
    And the step "the file "no/such/file.txt" contains "x"" fails with "cannot read the file no/such/file.txt"
    And the step "the file "/etc/hostname" contains "x"" fails with "an absolute path"
