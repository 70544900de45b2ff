-- 013_tier_json: a tier's features and limits become JSON text (read by
-- core/jsonr.c, written by core/jsonw.c) instead of the newline text of 006:
--   features "a\nb\n"           -> ["a","b"]
--   limits   "seats=5\napi=\n"  -> {"seats":5,"api":null}   (null: unlimited)
-- One SQL text for both backends: the string literals below that span two
-- lines hold one newline character; backslashes are plain characters in
-- both dialects (standard_conforming_strings). A feature name has no
-- control character (validated on write), so only '\' and '"' need escaping;
-- a metric is [a-z0-9_], so it needs none. Every line ended with a newline;
-- one missing at the end is tolerated.

UPDATE tiers SET
    features = CASE WHEN features = '' THEN '[]' ELSE
        '["' || replace(replace(replace(
            CASE WHEN substr(features, length(features), 1) = '
' THEN substr(features, 1, length(features) - 1) ELSE features END,
            '\', '\\'), '"', '\"'), '
', '","') || '"]' END,
    limits = CASE WHEN limits = '' THEN '{}' ELSE
        '{"' || replace(replace(
            substr(replace(
                CASE WHEN substr(limits, length(limits), 1) = '
' THEN limits ELSE limits || '
' END,
                '=
', '=null
'), 1, length(replace(
                CASE WHEN substr(limits, length(limits), 1) = '
' THEN limits ELSE limits || '
' END,
                '=
', '=null
')) - 1),
            '
', ',"'), '=', '":') || '}' END;
