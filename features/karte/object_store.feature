# Seed 000: the purge deletes photos' bytes from the image store after their rows,
# and a re-run must finish what a failed run left. That relies on the store telling
# "nothing there" (not an error: the bytes are already gone) from a real failure
# (an error naming the key and the file, so the purge stops and keeps the key
# queued), and on keys never reaching outside the store's folder.
Feature: The image store: missing objects, refused keys, files in the way

  Background:
    Given today is 2026-11-01

  Scenario: A store nothing was written to yet is empty, and missing objects are not errors
    Then the object store lists "nothing"
    And reading "customers/1/photo.jpg" from the object store gives nothing
    And the object store has no object "customers/1/photo.jpg"
    And deleting "customers/1/photo.jpg" from the object store succeeds

  Scenario: Objects, folders and stray files
    Given the object store holds "customers/1/a.jpg" with the bytes "写真A"
    And the object store holds "customers/1/b.jpg" with the bytes "写真B"
    And a stray file "customers/1/.c.jpg~tmp-1-1" lies in the object store's folder
    And a stray file "customers/1/写真.jpg" lies in the object store's folder
    Then the object store lists "customers/1/a.jpg, customers/1/b.jpg"
    And reading "customers/1/a.jpg" from the object store gives "写真A"
    And the object store has "customers/1/a.jpg"
    # a folder is not an object: it reads as nothing and deleting it removes nothing
    And reading "customers/1" from the object store gives nothing
    And the object store has no object "customers/1"
    And deleting "customers/1" from the object store succeeds
    And deleting "customers/1/a.jpg" from the object store succeeds
    Then the object store lists "customers/1/b.jpg"
    And the object store has no object "customers/1/a.jpg"

  Scenario: A file where a folder should be is an error naming the key and the file
    Given the object store holds "customers/5" with the bytes "not a folder"
    Then reading "customers/5/photo.jpg" in the object store fails: object store could not read "customers/5/photo.jpg" (<root>/customers/5/photo.jpg): Not a directory (os error 20)
    And deleting "customers/5/photo.jpg" in the object store fails: object store could not delete "customers/5/photo.jpg" (<root>/customers/5/photo.jpg): Not a directory (os error 20)
    And looking up "customers/5/photo.jpg" in the object store fails: object store could not look up "customers/5/photo.jpg" (<root>/customers/5/photo.jpg): Not a directory (os error 20)

  Scenario: A file where the store's folder should be is an error, not an empty store
    Given a file lies where the object store's folder should be
    Then listing the object store fails: object store could not list "" (<root>): Not a directory (os error 20)

  Scenario Outline: The key "<key>" is refused before anything is written
    Then storing bytes under "<key>" in the object store fails: invalid object key "<key>": <reason>
    And the object store lists "nothing"

    Examples:
      | key                 | reason                                                |
      |                     | the key is empty                                      |
      | ../outside.jpg      | the key contains ".."                                 |
      | customers/../../etc | the key contains ".."                                 |
      | /etc/passwd         | the key starts with "/"                               |
      | customers/1/        | the key ends with "/"                                 |
      | customers//1.jpg    | the key has an empty segment ("//")                   |
      | customers/./1.jpg   | the key has a "." segment                             |
      | customers/1 2.jpg   | character ' ' is not allowed (only A-Z a-z 0-9 . _ / -) |
      | 写真.jpg            | character '写' is not allowed (only A-Z a-z 0-9 . _ / -) |
      | a.jpg~tmp           | character '~' is not allowed (only A-Z a-z 0-9 . _ / -) |
      | c:/photo.jpg        | character ':' is not allowed (only A-Z a-z 0-9 . _ / -) |

  Scenario: A key is at most 200 characters
    Then storing bytes under a key of 201 characters is refused: the key is 201 characters long, more than 200
    And storing bytes under a key of 500 characters is refused: the key is 500 characters long, more than 200
    And the object store lists "nothing"
    And storing bytes under a key of 200 characters is accepted
