"""The public static site (公表): `build_site` returns the files; `site_zip` (the reports page)
and `etl.cli_common.write_folder` (`etl publish`) deliver them. See etl/publish/site.py and
docs/accessibility.md."""
