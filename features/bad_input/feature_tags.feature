# Tags select and drop scenarios (@slow is left out unless --slow, @serial runs
# alone, @serial(group) one at a time within its group, @fault marks
# fault-injection scenarios, @differential(flag) runs twice), so
# a misspelt or malformed tag would silently run the wrong thing. The dry run and the
# runner refuse any other tag, naming file:line and the closest known tag; nothing
# of the file runs. Gherkin itself reads "@slow," as a tag named "slow," and stops
# at a lone "@" with "unknown keyword" on the next line.
Feature: Unknown and malformed tags in feature files are refused

  Scenario Outline: The tag line "<tags>" is refused
    Given a feature file "$TMP/tagged.feature" whose scenario is tagged "<tags>"
    Then the dry run of "$TMP/tagged.feature" reports "<problem>"

    Examples:
      | tags | problem |
      | @ | $TMP/tagged.feature:3: '@' alone is not a tag: write a tag name after it; the known tags are @slow, @serial, @serial(group), @fault, @differential(flag) |
      | @slow, | $TMP/tagged.feature:3: "@slow," is not a tag: tags are separated by spaces, not punctuation; closest known tag: @slow |
      | @slow, @serial | $TMP/tagged.feature:3: "@slow," is not a tag: tags are separated by spaces, not punctuation; closest known tag: @slow |
      | @シリアル | $TMP/tagged.feature:3: unknown tag "@シリアル"; tags are written in ASCII; closest known tag: @serial; the known tags are @slow, @serial, @serial(group), @fault, @differential(flag) |
      | @slwo | $TMP/tagged.feature:3: unknown tag "@slwo"; closest known tag: @slow; the known tags are @slow, @serial, @serial(group), @fault, @differential(flag) |
      | @Slow | $TMP/tagged.feature:3: unknown tag "@Slow"; closest known tag: @slow; the known tags are @slow, @serial, @serial(group), @fault, @differential(flag) |
      | @serial slow | $TMP/tagged.feature:3: "slow" is not a tag (a tag starts with '@'); closest known tag: @slow |
      | @slow#wip | $TMP/tagged.feature:3: unknown tag "@slow#wip"; closest known tag: @slow; the known tags are @slow, @serial, @serial(group), @fault, @differential(flag) |
      | @differential(consolidation.inmemory) | $TMP/tagged.feature:3: unknown flag "consolidation.inmemory" in "@differential(consolidation.inmemory)"; known flags: consolidation.in_memory |
      | @differential | $TMP/tagged.feature:3: unknown tag "@differential"; closest known tag: @differential(flag); the known tags are @slow, @serial, @serial(group), @fault, @differential(flag) |
      | @postgres | $TMP/tagged.feature:3: "@postgres" names an engine, which is chosen with --engines, not by a tag in the file (the runner tags each engine's copy of a scenario, for --tags on the command line); the known tags are @slow, @serial, @serial(group), @fault, @differential(flag) |
      | @allow.skipped | $TMP/tagged.feature:3: unknown tag "@allow.skipped"; closest known tag: @slow; the known tags are @slow, @serial, @serial(group), @fault, @differential(flag) |
      | @wip | $TMP/tagged.feature:3: unknown tag "@wip"; closest known tag: @slow; the known tags are @slow, @serial, @serial(group), @fault, @differential(flag) |
      | @serial() | $TMP/tagged.feature:3: "@serial()": a serial group is named in lowercase ASCII letters, digits, '_' and '-', e.g. @serial(runner) |
      | @serial(Runner) | $TMP/tagged.feature:3: "@serial(Runner)": a serial group is named in lowercase ASCII letters, digits, '_' and '-', e.g. @serial(runner) |

  Scenario: Known tags pass the dry run
    Given a feature file "$TMP/tagged.feature" whose scenario is tagged "@serial @serial(runner) @fault @differential(consolidation.in_memory)"
    Then the dry run of "$TMP/tagged.feature" reports nothing
