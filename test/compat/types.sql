select 42::int as int4, '-2147483648'::int as int4_min, 9007199254740993::bigint as int8, 12345678901234567890.123456789::numeric as num,
  'NaN'::numeric as num_nan, 1.5::float8 as float8, 'héllo wörld ☃ 日本語 🎉 "quoted" \back'::text as txt, ''::text as empty_txt,
  '\xdeadbeef00ff'::bytea as bin, true as yes, false as no,
  date '2024-02-29' as day, timestamp '2024-02-29 13:14:15.123456' as ts, timestamptz '2024-02-29 13:14:15.123456+02' as tstz,
  interval '1 year 2 mons 3 days 04:05:06.789' as span,
  '{"a": [1, 2.5, "x"], "b": null, "ü": "☃"}'::json as js, '{"b": 1, "a": [true, {"c": "d"}]}'::jsonb as jsb,
  array[1, 2, null, 4]::int[] as int_array, array['a', 'b c', '"q"', null, 'ü']::text[] as text_array,
  '4a1b1c2d-3e4f-5a6b-7c8d-9e0fa1b2c3d4'::uuid as id,
  null::int as null_int, null::text as null_text, null::jsonb as null_jsonb
