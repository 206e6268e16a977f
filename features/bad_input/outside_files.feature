# Files a step reads (読み込むファイル): only regular files inside the project. A path
# that is absolute, climbs out with "..", or leads out through a symbolic link is
# refused before anything is opened, whichever step names it (billing files,
# consolidation files, the table loader, the imports); a named pipe or a device is
# refused before it is read, and no read goes past 64 MiB, whatever the file says
# its size is. The refusal quotes the path only: nothing of the file reaches the
# message, the summary or the reports (JUnit, Cucumber JSON, HTML).
# fixtures/bad_input/links/passwd is a symbolic link to /etc/passwd.
Feature: Steps read only regular files inside the project, and show nothing of other files

  Background:
    Given the billing period is 2026-11
    And the own batch has registered the billing file "fixtures/billing/first-run.csv"
    And every table as it stands is noted

  Scenario Outline: <step kind> is refused <why>
    When the step "<step>" is attempted
    Then it is refused with "<message>"
    And every table is exactly as noted

    Examples:
      | step kind | why | step | message |
      | A billing file | for /etc/shadow | the own batch registers the billing file "/etc/shadow" | "/etc/shadow": an absolute path; give a path relative to the project folder (files outside it are not read) |
      | A billing file | for /dev/zero | the own batch registers the billing file "/dev/zero" | "/dev/zero": an absolute path; give a path relative to the project folder (files outside it are not read) |
      | A billing file | for a path climbing out with .. | the own batch registers the billing file "fixtures/../../../../../../etc/passwd" | "fixtures/../../../../../../etc/passwd": '..' may lead out of the project folder; give a path inside it, without '..' |
      | A billing file | for a symbolic link out of the project | the own batch registers the billing file "fixtures/bad_input/links/passwd" | "fixtures/bad_input/links/passwd": leads out of the project folder through a symbolic link (to /etc/passwd); only files inside it are read |
      | A billing re-run | for /etc/shadow | the own batch re-runs the billing file "/etc/shadow" | "/etc/shadow": an absolute path; give a path relative to the project folder (files outside it are not read) |
      | A re-exported billing file | for its new lines from /etc/passwd | the own batch re-runs the billing file "fixtures/billing/first-run.csv", which now holds the lines of "/etc/passwd" | "/etc/passwd": an absolute path; give a path relative to the project folder (files outside it are not read) |
      | A naive re-run | for a symbolic link out of the project | the own batch re-runs the billing file "fixtures/bad_input/links/passwd" under the naive policy "delete and re-register" | "fixtures/bad_input/links/passwd": leads out of the project folder through a symbolic link (to /etc/passwd); only files inside it are read |
      | The group's companies | for /etc/shadow | the consolidation group of "/etc/shadow" with the accounts of "fixtures/consolidation/accounts.csv" | "/etc/shadow": an absolute path; give a path relative to the project folder (files outside it are not read) |
      | Exchange rates | for /etc/shadow | the exchange rates of "/etc/shadow" are entered | "/etc/shadow": an absolute path; give a path relative to the project folder (files outside it are not read) |
      | A consolidation journal | for a symbolic link out of the project | the consolidation journal of "fixtures/bad_input/links/passwd" is entered | "fixtures/bad_input/links/passwd": leads out of the project folder through a symbolic link (to /etc/passwd); only files inside it are read |
      | Adjustments | for a path climbing out with .. | the adjustments of "../../../../../../etc/passwd" are entered | "../../../../../../etc/passwd": '..' may lead out of the project folder; give a path inside it, without '..' |
      | Monetary items | for /dev/zero | the foreign-currency monetary items of "/dev/zero" | "/dev/zero": an absolute path; give a path relative to the project folder (files outside it are not read) |
      | Trial balances | for /etc/shadow | the trial balances of "/etc/shadow" are imported | "/etc/shadow": an absolute path; give a path relative to the project folder (files outside it are not read) |
      | Trial balances with a rate update | for a symbolic link out of the project | the trial balances of "fixtures/consolidation/trial-balances.csv" are imported while the exchange rates of "fixtures/bad_input/links/passwd" are entered | "fixtures/bad_input/links/passwd": leads out of the project folder through a symbolic link (to /etc/passwd); only files inside it are read |
      | The table loader | for /etc/shadow | the table billing_record is loaded from "/etc/shadow" | "/etc/shadow": an absolute path; give a path relative to the project folder (files outside it are not read) |
      | The table loader | for a path climbing out with .. | the table billing_record is loaded from "fixtures/../../../../../../etc/passwd" | "fixtures/../../../../../../etc/passwd": '..' may lead out of the project folder; give a path inside it, without '..' |
      | The table loader | for a symbolic link out of the project | the table billing_record is loaded from "fixtures/bad_input/links/passwd" | "fixtures/bad_input/links/passwd": leads out of the project folder through a symbolic link (to /etc/passwd); only files inside it are read |

  Scenario Outline: An import is refused <why>
    When the file "<path>" is imported as the billing input
    Then it is refused with "<message>"
    And every table is exactly as noted

    Examples:
      | why | path | message |
      | for /etc/shadow | /etc/shadow | "/etc/shadow": an absolute path; give a path relative to the project folder (files outside it are not read) |
      | for a path climbing out with .. | ../../../../../../etc/passwd | "../../../../../../etc/passwd": '..' may lead out of the project folder; give a path inside it, without '..' |
      | for a symbolic link out of the project | fixtures/bad_input/links/passwd | "fixtures/bad_input/links/passwd": leads out of the project folder through a symbolic link (to /etc/passwd); only files inside it are read |
      | for a folder | fixtures/bad_input | fixtures/bad_input: is a folder, not a file; give the path of a CSV file |

  Scenario: A named pipe is refused before it is opened (reading it would wait for ever)
    Given a named pipe "$TMP/pipe.csv"
    When the file "$TMP/pipe.csv" is imported as the billing input
    Then it is refused with "$TMP/pipe.csv: is a named pipe (FIFO), not a regular file; input is read only from saved files (a pipe or device may never answer, or never end): save the data to a file and give that file"
    And every table is exactly as noted

  Scenario: The billing batch program refuses a device before reading it
    When the command "billing-batch import /dev/zero" runs within 30 seconds
    Then it exits with code 1
    And it fails with "/dev/zero: is a character device, not a regular file; input is read only from saved files (a pipe or device may never answer, or never end): save the data to a file and give that file"
    And every table is exactly as noted

  Scenario: A refusal quotes one cell of the file, cut to 40 characters
    When the file "fixtures/bad_input/billing/long-header-cell.csv" is imported as the billing input
    Then it is refused with "fixtures/bad_input/billing/long-header-cell.csv:1 (column xxxxxxxxxxxxxxxxxxxx-yyyyyyyyyyyyyyyyyyy…): unknown column "xxxxxxxxxxxxxxxxxxxx-yyyyyyyyyyyyyyyyyyy…" (did you mean "person"?); the columns are person, period, amount"
    And every table is exactly as noted
