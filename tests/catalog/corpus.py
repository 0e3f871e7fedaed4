"""Realistic DES-style Oracle SQL with hand-written DuckDB equivalents (same rows expected).

Each entry: (name, oracle_sql, duckdb_sql, binds). The Oracle side runs through
``deslab.query`` (sqlglot translation + the read-only DuckDB backend); the DuckDB side runs as
written on a separate connection. Rows are compared as multisets unless ``ordered`` is in the
name (then in order).
"""

from __future__ import annotations

CORPUS: list[tuple[str, str, str, dict]] = [
    ("box_cut",
     "SELECT COADD_OBJECT_ID, RA, DEC FROM DR2_MAIN WHERE RA BETWEEN 0.2 AND 0.6 "
     "AND DEC BETWEEN -0.3 AND 0.3",
     "select coadd_object_id, ra, dec from dr2_main where ra >= 0.2 and ra <= 0.6 "
     "and dec >= -0.3 and dec <= 0.3", {}),
    ("cone_haversine",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE ACOS(SIN(RADIANS(DEC))*SIN(RADIANS(0.1)) + "
     "COS(RADIANS(DEC))*COS(RADIANS(0.1))*COS(RADIANS(RA - 0.3))) < RADIANS(0.05)",
     "select coadd_object_id from dr2_main where acos(sin(dec*pi()/180)*sin(0.1*pi()/180) + "
     "cos(dec*pi()/180)*cos(0.1*pi()/180)*cos((ra - 0.3)*pi()/180)) < 0.05*pi()/180", {}),
    ("cone_across_ra0",
     "SELECT COADD_OBJECT_ID, RA FROM DR2_MAIN WHERE (RA > 359.9 OR RA < 0.1) "
     "AND ABS(DEC) < 0.05",
     "select coadd_object_id, ra from dr2_main where (ra > 359.9 or ra < 0.1) "
     "and dec > -0.05 and dec < 0.05", {}),
    ("flat_sky_distance",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE SQRT(POWER((RA - 0.5)*COS(RADIANS(DEC)), 2) "
     "+ POWER(DEC - 0.1, 2)) < 0.05",
     "select coadd_object_id from dr2_main where sqrt(((ra - 0.5)*cos(radians(dec)))**2 "
     "+ (dec - 0.1)**2) < 0.05", {}),
    ("colour_cut",
     "SELECT COADD_OBJECT_ID, MAG_AUTO_G - MAG_AUTO_R AS GR FROM DR2_MAIN "
     "WHERE MAG_AUTO_G - MAG_AUTO_R > 0.8 AND MAG_AUTO_I < 22",
     "select coadd_object_id, mag_auto_g - mag_auto_r from dr2_main "
     "where mag_auto_g - mag_auto_r > 0.8 and mag_auto_i < 22", {}),
    ("colour_colour_box",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE (MAG_AUTO_R - MAG_AUTO_I) BETWEEN 0.2 AND 0.6 "
     "AND (MAG_AUTO_G - MAG_AUTO_R) > 1.0 AND MAG_AUTO_I < 23 AND FLAGS_I = 0",
     "select coadd_object_id from dr2_main where mag_auto_r - mag_auto_i >= 0.2 and "
     "mag_auto_r - mag_auto_i <= 0.6 and mag_auto_g - mag_auto_r > 1.0 and mag_auto_i < 23 "
     "and flags_i = 0", {}),
    ("stars_extended_class",
     "SELECT COADD_OBJECT_ID, MAG_AUTO_I FROM DR2_MAIN WHERE EXTENDED_CLASS_COADD <= 1 "
     "AND MAG_AUTO_I < 21",
     "select coadd_object_id, mag_auto_i from dr2_main where extended_class_coadd in (0, 1) "
     "and mag_auto_i < 21", {}),
    ("spread_model_stars",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE ABS(SPREAD_MODEL_I) < 0.003 + "
     "SPREADERR_MODEL_I AND MAGERR_AUTO_I < 0.05",
     "select coadd_object_id from dr2_main where abs(spread_model_i) < 0.003 + "
     "spreaderr_model_i and magerr_auto_i < 0.05", {}),
    ("rownum_top_ordered",
     "SELECT * FROM (SELECT COADD_OBJECT_ID, MAG_AUTO_I FROM DR2_MAIN "
     "ORDER BY MAG_AUTO_I, COADD_OBJECT_ID) WHERE ROWNUM <= 10",
     "select coadd_object_id, mag_auto_i from dr2_main order by mag_auto_i, coadd_object_id "
     "limit 10", {}),
    ("rownum_lt_ordered",
     "SELECT * FROM (SELECT COADD_OBJECT_ID FROM DR2_MAIN ORDER BY COADD_OBJECT_ID) "
     "WHERE ROWNUM < 4",
     "select coadd_object_id from dr2_main order by coadd_object_id limit 3", {}),
    ("rownum_count",
     "SELECT COUNT(*) AS N FROM DR2_MAIN WHERE ROWNUM <= 1000",
     "select count(*) from (select 1 from dr2_main limit 1000)", {}),
    ("rownum_with_filter_count",
     "SELECT COUNT(*) FROM DR2_MAIN WHERE MAG_AUTO_I < 22 AND ROWNUM <= 50",
     "select count(*) from (select 1 from dr2_main where mag_auto_i < 22 limit 50)", {}),
    ("fetch_first_ordered",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN ORDER BY COADD_OBJECT_ID DESC "
     "FETCH FIRST 5 ROWS ONLY",
     "select coadd_object_id from dr2_main order by coadd_object_id desc limit 5", {}),
    ("offset_fetch_ordered",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN ORDER BY COADD_OBJECT_ID "
     "OFFSET 10 ROWS FETCH NEXT 5 ROWS ONLY",
     "select coadd_object_id from dr2_main order by coadd_object_id limit 5 offset 10", {}),
    ("nvl_tile_images",
     "SELECT TILENAME, NVL(FITS_IMAGE_G, 'none') AS IMG FROM DR2_TILE_INFO",
     "select tilename, coalesce(fits_image_g, 'none') from dr2_tile_info", {}),
    ("nvl2_has_image",
     "SELECT TILENAME, NVL2(FITS_IMAGE_R, 1, 0) AS HAS_R FROM DR2_TILE_INFO",
     "select tilename, case when fits_image_r is null then 0 else 1 end from dr2_tile_info",
     {}),
    ("decode_class",
     "SELECT COADD_OBJECT_ID, DECODE(EXTENDED_CLASS_COADD, 0, 'star', 1, 'star', 2, "
     "'galaxy', 3, 'galaxy', 'unknown') AS CLS FROM DR2_MAIN "
     "WHERE COADD_OBJECT_ID < 1000000200",
     "select coadd_object_id, case when extended_class_coadd in (0, 1) then 'star' "
     "when extended_class_coadd in (2, 3) then 'galaxy' else 'unknown' end from dr2_main "
     "where coadd_object_id < 1000000200", {}),
    ("dual_constant",
     "SELECT 1 AS ONE, 'DES' AS SURVEY FROM DUAL",
     "select 1, 'DES'", {}),
    ("dual_arithmetic",
     "SELECT POWER(10, -0.4 * (22.5 - 30)) AS FLUX, ROUND(ACOS(-1), 6) AS PI FROM DUAL",
     "select pow(10, -0.4 * (22.5 - 30)), round(pi(), 6)", {}),
    ("bind_box",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE RA BETWEEN :ra_min AND :ra_max "
     "AND DEC BETWEEN :dec_min AND :dec_max",
     "select coadd_object_id from dr2_main where ra between 0.1 and 0.3 "
     "and dec between -0.2 and 0.0",
     {"ra_min": 0.1, "ra_max": 0.3, "dec_min": -0.2, "dec_max": 0.0}),
    ("bind_tilename",
     "SELECT COUNT(*) FROM DR2_MAIN WHERE TILENAME = :tile",
     "select count(*) from dr2_main where tilename = 'DES0000+0000'",
     {"tile": "DES0000+0000"}),
    ("healpix_counts",
     "SELECT HPIX_32, COUNT(*) AS N FROM DR2_MAIN GROUP BY HPIX_32",
     "select hpix_32, count(*) from dr2_main group by all", {}),
    ("healpix_neighbour_subquery",
     "SELECT COUNT(*) FROM DR2_MAIN WHERE HPIX_32 IN "
     "(SELECT HPIX_32 FROM DR2_MAIN WHERE COADD_OBJECT_ID = 1000000000)",
     "select count(*) from dr2_main m where exists (select 1 from dr2_main x where "
     "x.coadd_object_id = 1000000000 and x.hpix_32 = m.hpix_32)", {}),
    ("healpix_parent_trunc",
     "SELECT TRUNC(HPIX_4096 / 4096) AS PARENT, COUNT(*) AS N FROM DR2_MAIN "
     "GROUP BY TRUNC(HPIX_4096 / 4096)",
     "select hpix_4096 // 4096, count(*) from dr2_main group by 1", {}),
    ("join_tile_info_implicit",
     "SELECT m.COADD_OBJECT_ID, t.RA_CENT, t.DEC_CENT FROM DR2_MAIN m, DR2_TILE_INFO t "
     "WHERE m.TILENAME = t.TILENAME AND m.COADD_OBJECT_ID < 1000000300",
     "select m.coadd_object_id, t.ra_cent, t.dec_cent from dr2_main m join dr2_tile_info t "
     "on m.tilename = t.tilename where m.coadd_object_id < 1000000300", {}),
    ("join_ansi_using",
     "SELECT COUNT(*) FROM DR2_MAIN JOIN DR2_TILE_INFO USING (TILENAME) "
     "WHERE CROSSRA0 = 'Y'",
     "select count(*) from dr2_main m, dr2_tile_info t where m.tilename = t.tilename "
     "and t.crossra0 = 'Y'", {}),
    ("outer_join_plus",
     "SELECT t.TILENAME, COUNT(m.COADD_OBJECT_ID) AS N FROM DR2_TILE_INFO t, DR2_MAIN m "
     "WHERE t.TILENAME = m.TILENAME(+) GROUP BY t.TILENAME",
     "select t.tilename, count(m.coadd_object_id) from dr2_tile_info t left join dr2_main m "
     "on t.tilename = m.tilename group by t.tilename", {}),
    ("objects_in_unique_area",
     "SELECT COUNT(*) FROM DR2_MAIN m, DR2_TILE_INFO t WHERE m.TILENAME = t.TILENAME "
     "AND t.CROSSRA0 = 'N' AND m.RA BETWEEN t.URAMIN AND t.URAMAX "
     "AND m.DEC BETWEEN t.UDECMIN AND t.UDECMAX",
     "select count(*) from dr2_main m join dr2_tile_info t on m.tilename = t.tilename "
     "where t.crossra0 = 'N' and m.ra >= t.uramin and m.ra <= t.uramax "
     "and m.dec >= t.udecmin and m.dec <= t.udecmax", {}),
    ("tile_at_position_crossra0",
     "SELECT TILENAME FROM DR2_TILE_INFO WHERE :dec BETWEEN UDECMIN AND UDECMAX AND "
     "((CROSSRA0 = 'N' AND :ra BETWEEN URAMIN AND URAMAX) OR "
     "(CROSSRA0 = 'Y' AND (:ra >= URAMIN OR :ra <= URAMAX)))",
     "select tilename from dr2_tile_info where 0.01 between udecmin and udecmax and "
     "((crossra0 = 'N' and 359.99 between uramin and uramax) or "
     "(crossra0 = 'Y' and (359.99 >= uramin or 359.99 <= uramax)))",
     {"ra": 359.99, "dec": 0.01}),
    ("aggregates",
     "SELECT COUNT(*) AS N, AVG(MAG_AUTO_R) AS MEAN_R, MIN(RA) AS RA_MIN, MAX(DEC) AS DEC_MAX,"
     " STDDEV(MAG_AUTO_G) AS SD_G, VARIANCE(MAG_AUTO_I) AS VAR_I FROM DR2_MAIN "
     "WHERE MAG_AUTO_R < 30",
     "select count(*), avg(mag_auto_r), min(ra), max(dec), stddev_samp(mag_auto_g), "
     "var_samp(mag_auto_i) from dr2_main where mag_auto_r < 30", {}),
    ("group_having",
     "SELECT TILENAME, COUNT(*) AS N, AVG(MAG_AUTO_I) AS MI FROM DR2_MAIN GROUP BY TILENAME "
     "HAVING COUNT(*) > 450",
     "select tilename, count(*), avg(mag_auto_i) from dr2_main group by tilename "
     "having count(*) > 450", {}),
    ("median",
     "SELECT TILENAME, MEDIAN(MAG_AUTO_I) AS MED FROM DR2_MAIN GROUP BY TILENAME",
     "select tilename, quantile_cont(mag_auto_i, 0.5) from dr2_main group by tilename", {}),
    ("in_subquery_crossra0",
     "SELECT COUNT(*) FROM DR2_MAIN WHERE TILENAME IN (SELECT TILENAME FROM DR2_TILE_INFO "
     "WHERE CROSSRA0 = 'Y')",
     "select count(*) from dr2_main semi join dr2_tile_info t on dr2_main.tilename = "
     "t.tilename and t.crossra0 = 'Y'", {}),
    ("exists_correlated",
     "SELECT t.TILENAME FROM DR2_TILE_INFO t WHERE EXISTS (SELECT 1 FROM DR2_MAIN m "
     "WHERE m.TILENAME = t.TILENAME AND m.MAG_AUTO_I < 18)",
     "select distinct t.tilename from dr2_tile_info t join dr2_main m on m.tilename = "
     "t.tilename where m.mag_auto_i < 18", {}),
    ("scalar_subquery",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE MAG_AUTO_I < "
     "(SELECT AVG(MAG_AUTO_I) - 3 FROM DR2_MAIN)",
     "with a as (select avg(mag_auto_i) - 3 as lim from dr2_main) select coadd_object_id "
     "from dr2_main, a where mag_auto_i < a.lim", {}),
    ("with_cte",
     "WITH BRIGHT AS (SELECT COADD_OBJECT_ID, TILENAME FROM DR2_MAIN WHERE MAG_AUTO_R < 20) "
     "SELECT TILENAME, COUNT(*) AS N FROM BRIGHT GROUP BY TILENAME",
     "select tilename, count(*) from dr2_main where mag_auto_r < 20 group by tilename", {}),
    ("union_all",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE MAG_AUTO_G < 19 UNION ALL "
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE MAG_AUTO_Z < 18",
     "select coadd_object_id from dr2_main where mag_auto_g < 19 union all "
     "select coadd_object_id from dr2_main where mag_auto_z < 18", {}),
    ("minus",
     "SELECT TILENAME FROM DR2_TILE_INFO MINUS SELECT TILENAME FROM DR2_MAIN",
     "select tilename from dr2_tile_info where tilename not in "
     "(select tilename from dr2_main)", {}),
    ("intersect",
     "SELECT TILENAME FROM DR2_TILE_INFO WHERE CROSSRA0 = 'Y' INTERSECT "
     "SELECT TILENAME FROM DR2_MAIN",
     "select distinct t.tilename from dr2_tile_info t join dr2_main m using (tilename) "
     "where t.crossra0 = 'Y'", {}),
    ("bitand_flags",
     "SELECT COUNT(*) FROM DR2_MAIN WHERE BITAND(FLAGS_I, 4) = 0 AND BITAND(FLAGS_G, 2) > 0",
     "select count(*) from dr2_main where (flags_i & 4) = 0 and (flags_g & 2) > 0", {}),
    ("case_colour_class",
     "SELECT CASE WHEN MAG_AUTO_G - MAG_AUTO_I > 1.5 THEN 'red' WHEN MAG_AUTO_G - "
     "MAG_AUTO_I > 0.5 THEN 'green' ELSE 'blue' END AS COLOUR, COUNT(*) AS N "
     "FROM DR2_MAIN GROUP BY CASE WHEN MAG_AUTO_G - MAG_AUTO_I > 1.5 THEN 'red' WHEN "
     "MAG_AUTO_G - MAG_AUTO_I > 0.5 THEN 'green' ELSE 'blue' END",
     "select case when mag_auto_g - mag_auto_i > 1.5 then 'red' when mag_auto_g - mag_auto_i "
     "> 0.5 then 'green' else 'blue' end as c, count(*) from dr2_main group by c", {}),
    ("round_trunc",
     "SELECT COADD_OBJECT_ID, ROUND(MAG_AUTO_G, 2) AS G2, TRUNC(RA, 1) AS RA1 FROM DR2_MAIN "
     "WHERE COADD_OBJECT_ID < 1000000100",
     "select coadd_object_id, round(mag_auto_g, 2), trunc(ra, 1) from dr2_main "
     "where coadd_object_id < 1000000100", {}),
    ("flux_from_mag",
     "SELECT COADD_OBJECT_ID, POWER(10, -0.4 * (MAG_AUTO_R - 30)) AS FLUX_R FROM DR2_MAIN "
     "WHERE MAG_AUTO_R < 21",
     "select coadd_object_id, 10 ** (-0.4 * (mag_auto_r - 30)) from dr2_main "
     "where mag_auto_r < 21", {}),
    ("log10_flux",
     "SELECT COADD_OBJECT_ID, LOG(10, FLUX_AUTO_G) AS LF FROM DR2_MAIN WHERE FLUX_AUTO_G > 1000",
     "select coadd_object_id, log10(flux_auto_g) from dr2_main where flux_auto_g > 1000", {}),
    ("mod_sampling",
     "SELECT COUNT(*) FROM DR2_MAIN WHERE MOD(COADD_OBJECT_ID, 1000) = 7",
     "select count(*) from dr2_main where coadd_object_id % 1000 = 7", {}),
    ("like_substr",
     "SELECT DISTINCT SUBSTR(TILENAME, 1, 7) AS RA_PART FROM DR2_MAIN WHERE TILENAME LIKE "
     "'DES000%'",
     "select distinct tilename[1:7] from dr2_main where starts_with(tilename, 'DES000')", {}),
    ("concat_pipes",
     "SELECT TILENAME || '_g.fits.fz' AS FNAME FROM DR2_TILE_INFO WHERE ID < 5",
     "select concat(tilename, '_g.fits.fz') from dr2_tile_info where id < 5", {}),
    ("window_brightest_per_tile",
     "SELECT TILENAME, COADD_OBJECT_ID FROM (SELECT TILENAME, COADD_OBJECT_ID, ROW_NUMBER() "
     "OVER (PARTITION BY TILENAME ORDER BY MAG_AUTO_I, COADD_OBJECT_ID) AS RN FROM DR2_MAIN) "
     "WHERE RN = 1",
     "select tilename, arg_min(coadd_object_id, (mag_auto_i, coadd_object_id)) from dr2_main "
     "group by tilename", {}),
    ("count_distinct",
     "SELECT COUNT(DISTINCT TILENAME) AS NT, COUNT(DISTINCT HPIX_32) AS NH FROM DR2_MAIN",
     "select count(distinct tilename), count(distinct hpix_32) from dr2_main", {}),
    ("magnitude_histogram",
     "SELECT FLOOR(MAG_AUTO_I * 2) / 2 AS BIN, COUNT(*) AS N FROM DR2_MAIN "
     "WHERE MAG_AUTO_I < 30 GROUP BY FLOOR(MAG_AUTO_I * 2) / 2",
     "select floor(mag_auto_i * 2) / 2, count(*) from dr2_main where mag_auto_i < 30 "
     "group by 1", {}),
    ("greatest_least",
     "SELECT COADD_OBJECT_ID, GREATEST(FLUX_RADIUS_G, FLUX_RADIUS_R) AS FR_MAX, "
     "LEAST(MAG_AUTO_G, MAG_AUTO_R, MAG_AUTO_I) AS M_MIN FROM DR2_MAIN "
     "WHERE COADD_OBJECT_ID < 1000000100",
     "select coadd_object_id, greatest(flux_radius_g, flux_radius_r), "
     "least(mag_auto_g, mag_auto_r, mag_auto_i) from dr2_main "
     "where coadd_object_id < 1000000100", {}),
    ("quoted_alias_and_comments",
     "-- bright objects\nSELECT RA AS \"ra_deg\", /* the id */ COADD_OBJECT_ID FROM DR2_MAIN "
     "WHERE MAG_AUTO_I < 19;",
     "select ra, coadd_object_id from dr2_main where mag_auto_i < 19", {}),
    ("planted_anomalies_join",
     "SELECT a.KIND, COUNT(*) AS N, AVG(m.MAG_AUTO_G - m.MAG_AUTO_Z) AS GZ FROM "
     "DEMO_PLANTED_ANOMALIES a, DR2_MAIN m WHERE a.COADD_OBJECT_ID = m.COADD_OBJECT_ID "
     "GROUP BY a.KIND",
     "select a.kind, count(*), avg(m.mag_auto_g - m.mag_auto_z) from demo_planted_anomalies a "
     "join dr2_main m on a.coadd_object_id = m.coadd_object_id group by a.kind", {}),
    ("ebv_corrected_colour",
     "SELECT COADD_OBJECT_ID, (MAG_AUTO_G - 3.186 * EBV_SFD98) - (MAG_AUTO_R - 2.140 * "
     "EBV_SFD98) AS GR0 FROM DR2_MAIN WHERE EXTENDED_CLASS_COADD = 3 AND MAG_AUTO_R < 21",
     "select coadd_object_id, (mag_auto_g - 3.186 * ebv_sfd98) - (mag_auto_r - 2.140 * "
     "ebv_sfd98) from dr2_main where extended_class_coadd = 3 and mag_auto_r < 21", {}),
]
