// Summaries are keyword-searchable too (the embedded store indexes their text): a full-text
// index cannot change its labels, so it is dropped and made again with :Summary. Both steps are
// safe to repeat if this migration dies half-way.
DROP INDEX searchable_text IF EXISTS;
CREATE FULLTEXT INDEX searchable_text IF NOT EXISTS
FOR (n:Event|SpeechSegment|OnScreenText|Summary) ON EACH [n.text];
