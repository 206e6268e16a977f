# Tags select and drop scenarios (@slow is left out unless --slow, @serial runs
# alone, @serial(group) one at a time within its group, @fault marks
# fault-injection scenarios, @differential(flag) runs twice), so a misspelt or
# malformed one of Kensho's own tags would silently run the wrong thing. Kensho
# checks only its own: the dry run and the runner refuse a tag close to one of them
# (one edit away, a swap of two letters counting one; two for differential; the
# same name in other case, since tags are case-sensitive: @Slow; a Japanese name;
# punctuation or a comment glued on; a missing or extra argument), naming
# file:line and the tag meant; nothing of the file runs. Any other tag is the
# team's own and passes: @smoke (3 edits from @slow), @wip (4), @JIRA-123,
# @allow.skipped (a dot inside a name is no separator), @fast (2 from @fault).
# Gherkin itself reads "@slow," as a tag named "slow," and stops at a lone "@"
# with "unknown keyword" on the next line.
Feature: Kensho's own tags written wrongly are refused, a team's own tags pass

  Scenario Outline: The tag line "<tags>" is refused
    Given a feature file "$TMP/tagged.feature" whose scenario is tagged "<tags>"
    Then the dry run of "$TMP/tagged.feature" reports "<problem>"

    Examples:
      | tags | problem |
      | @ | $TMP/tagged.feature:3: '@' alone is not a tag: write a tag name after it; the known tags are @slow, @serial, @serial(group), @fault, @differential(flag) |
      | @slow, | $TMP/tagged.feature:3: "@slow," is not a tag: tags are separated by spaces, not punctuation, and a comment starts with " #"; closest known tag: @slow |
      | @slow, @serial | $TMP/tagged.feature:3: "@slow," is not a tag: tags are separated by spaces, not punctuation, and a comment starts with " #"; closest known tag: @slow |
      | @slow#wip | $TMP/tagged.feature:3: "@slow#wip" is not a tag: tags are separated by spaces, not punctuation, and a comment starts with " #"; closest known tag: @slow |
      | @シリアル | $TMP/tagged.feature:3: unknown tag "@シリアル"; tags are written in ASCII; closest known tag: @serial; a tag this close to one of Kensho's own (@slow, @serial, @serial(group), @fault, @differential(flag)) is taken for a misspelling of it (tags of your own, such as @smoke or @JIRA-123, pass) |
      | @低速 | $TMP/tagged.feature:3: unknown tag "@低速"; tags are written in ASCII; closest known tag: @slow; a tag this close to one of Kensho's own (@slow, @serial, @serial(group), @fault, @differential(flag)) is taken for a misspelling of it (tags of your own, such as @smoke or @JIRA-123, pass) |
      | @slwo | $TMP/tagged.feature:3: unknown tag "@slwo"; closest known tag: @slow; a tag this close to one of Kensho's own (@slow, @serial, @serial(group), @fault, @differential(flag)) is taken for a misspelling of it (tags of your own, such as @smoke or @JIRA-123, pass) |
      | @Slow | $TMP/tagged.feature:3: unknown tag "@Slow"; closest known tag: @slow; a tag this close to one of Kensho's own (@slow, @serial, @serial(group), @fault, @differential(flag)) is taken for a misspelling of it (tags of your own, such as @smoke or @JIRA-123, pass) |
      | @seriel | $TMP/tagged.feature:3: unknown tag "@seriel"; closest known tag: @serial; a tag this close to one of Kensho's own (@slow, @serial, @serial(group), @fault, @differential(flag)) is taken for a misspelling of it (tags of your own, such as @smoke or @JIRA-123, pass) |
      | @smoke @seriel(runner) | $TMP/tagged.feature:3: unknown tag "@seriel(runner)"; closest known tag: @serial(group); a tag this close to one of Kensho's own (@slow, @serial, @serial(group), @fault, @differential(flag)) is taken for a misspelling of it (tags of your own, such as @smoke or @JIRA-123, pass) |
      | @differntial(consolidation.in_memory) | $TMP/tagged.feature:3: unknown tag "@differntial(consolidation.in_memory)"; closest known tag: @differential(flag); a tag this close to one of Kensho's own (@slow, @serial, @serial(group), @fault, @differential(flag)) is taken for a misspelling of it (tags of your own, such as @smoke or @JIRA-123, pass) |
      | @differential | $TMP/tagged.feature:3: unknown tag "@differential"; closest known tag: @differential(flag); a tag this close to one of Kensho's own (@slow, @serial, @serial(group), @fault, @differential(flag)) is taken for a misspelling of it (tags of your own, such as @smoke or @JIRA-123, pass) |
      | @differential(consolidation.inmemory) | $TMP/tagged.feature:3: unknown flag "consolidation.inmemory" in "@differential(consolidation.inmemory)"; known flags: consolidation.in_memory |
      | @serial slow | $TMP/tagged.feature:3: "slow" is not a tag (a tag starts with '@'); closest known tag: @slow |
      | @postgres | $TMP/tagged.feature:3: "@postgres" names an engine, which is chosen with --engines, not by a tag in the file (the runner tags each engine's copy of a scenario, for --tags on the command line); the known tags are @slow, @serial, @serial(group), @fault, @differential(flag) |
      | @serial() | $TMP/tagged.feature:3: "@serial()": a serial group is named in lowercase ASCII letters, digits, '_' and '-', e.g. @serial(runner) |
      | @serial(Runner) | $TMP/tagged.feature:3: "@serial(Runner)": a serial group is named in lowercase ASCII letters, digits, '_' and '-', e.g. @serial(runner) |

  Scenario: Known tags pass the dry run
    Given a feature file "$TMP/tagged.feature" whose scenario is tagged "@serial @serial(runner) @fault @differential(consolidation.in_memory)"
    Then the dry run of "$TMP/tagged.feature" reports nothing

  Scenario Outline: The team's own tag line "<tags>" passes
    Given a feature file "$TMP/tagged.feature" whose scenario is tagged "<tags>"
    Then the dry run of "$TMP/tagged.feature" reports nothing

    Examples:
      | tags |
      | @smoke @JIRA-123 @wip |
      | @allow.skipped |
      | @fast @flaky @regression |
      | @回帰テスト @serial |
