-- A batch run that stops part-way (a lost connection, an aborted process) is completed
-- by running the same input again: the run goes on after the lines its committed
-- chunks decided, each chunk adding its counts and lines in its own transaction, so
-- no record or warning is written twice. The digest tells the same input from
-- another file of the same name.
ALTER TABLE billing_batch_run ADD COLUMN input_digest VARCHAR(16) NOT NULL DEFAULT '';
ALTER TABLE billing_batch_run ADD COLUMN lines_done   INTEGER     NOT NULL DEFAULT 0;
