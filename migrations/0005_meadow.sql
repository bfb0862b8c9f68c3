-- Lattice schema, part 5: Meadow, a reader's feed of the blogs they follow (src/app/meadow-routes.cpp).
--
-- readers.feed_read_at  when the reader last read their feed, written by their FeedDO at most once
--                       a day (by alarm, after a read). Publishing fans out only to followers who
--                       read within FEED_ACTIVE_DAYS; the others' FeedDOs are rebuilt from D1 when
--                       they come back.
-- follows (0002) is the truth of who follows whom; follows_by_tenant finds a blog's followers.
ALTER TABLE readers ADD COLUMN feed_read_at INTEGER;
