"""The public static site (公表): `build_site` returns the files, `write_site` / `site_zip`
deliver them. See etl/publish/site.py and docs/accessibility.md."""
