-- Placeholder on branch f15-dpop only: the tool-definition pinning branch
-- (f16-pinning) owns this version and this file. Take that branch's copy
-- when merging; nothing here may be kept.
SELECT 1;
