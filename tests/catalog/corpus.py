"""DES-style Oracle SQL with independently written DuckDB equivalents.

Each entry: (name, oracle_sql, duckdb_sql, binds). The Oracle side runs through deslab (the
sqlglot translation and the read-only DuckDB backend); the DuckDB side runs as written on a
separate connection, with the column names Oracle would return written out by hand (Oracle
names an unaliased expression by its text without spaces, upper case: ``COUNT(*)``,
``MAG_AUTO_G-MAG_AUTO_R``). The test compares rows (as multisets unless ``ordered`` is in the
name), the row count, the column names and the Arrow types.

The queries are written the way DES users write them: upper and lower case, optimizer hints,
comments, ``:name`` binds, ``ROWNUM`` caps, Oracle functions; the shapes follow the DES DR2
example queries, easyaccess sessions and DESaccess job queries.
"""

from __future__ import annotations

Entry = tuple[str, str, str, dict]

BASE: list[Entry] = [
    # -- positions ---------------------------------------------------------------------
    ("box_cut",
     "SELECT COADD_OBJECT_ID, RA, DEC FROM DR2_MAIN WHERE RA BETWEEN 0.2 AND 0.6 "
     "AND DEC BETWEEN -0.3 AND 0.3",
     "select coadd_object_id, ra, dec from dr2_main where ra >= 0.2 and ra <= 0.6 "
     "and dec >= -0.3 and dec <= 0.3", {}),
    ("box_cut_lower_case",
     "select coadd_object_id, ra, dec from dr2_main where ra between 0.2 and 0.3 and "
     "dec between 0.0 and 0.3",
     "select coadd_object_id, ra, dec from dr2_main where ra >= 0.2 and ra <= 0.3 and "
     "dec >= 0 and dec <= 0.3", {}),
    ("cone_haversine",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE ACOS(SIN(RADIANS(DEC))*SIN(RADIANS(0.1)) + "
     "COS(RADIANS(DEC))*COS(RADIANS(0.1))*COS(RADIANS(RA - 0.3))) < RADIANS(0.05)",
     "select coadd_object_id from dr2_main where acos(sin(dec*pi()/180)*sin(0.1*pi()/180) + "
     "cos(dec*pi()/180)*cos(0.1*pi()/180)*cos((ra - 0.3)*pi()/180)) < 0.05*pi()/180", {}),
    ("cone_pi_over_180",
     "select coadd_object_id, ra, dec from dr2_main where "
     "acos(sin(dec*3.141592653589793/180)*sin(0.05*3.141592653589793/180) + "
     "cos(dec*3.141592653589793/180)*cos(0.05*3.141592653589793/180)*"
     "cos((ra-0.4)*3.141592653589793/180))*180/3.141592653589793 < 0.03",
     "select coadd_object_id, ra, dec from dr2_main where degrees(acos(sin(radians(dec))*"
     "sin(radians(0.05)) + cos(radians(dec))*cos(radians(0.05))*cos(radians(ra - 0.4)))) "
     "< 0.03", {}),
    ("cone_bind_degrees",
     "SELECT COADD_OBJECT_ID, DEGREES(ACOS(SIN(RADIANS(DEC))*SIN(RADIANS(:dec)) + "
     "COS(RADIANS(DEC))*COS(RADIANS(:dec))*COS(RADIANS(RA - :ra))))*3600 AS SEP_ARCSEC "
     "FROM DR2_MAIN WHERE RA BETWEEN :ra - 0.05 AND :ra + 0.05 AND "
     "DEC BETWEEN :dec - 0.05 AND :dec + 0.05",
     "select coadd_object_id, degrees(acos(sin(radians(dec))*sin(radians(-0.2)) + "
     "cos(radians(dec))*cos(radians(-0.2))*cos(radians(ra - 0.35))))*3600 as SEP_ARCSEC "
     "from dr2_main where ra between 0.3 and 0.4 and dec between -0.25 and -0.15",
     {"ra": 0.35, "dec": -0.2}),
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
    ("ra_wrapped_to_signed",
     "SELECT COADD_OBJECT_ID, CASE WHEN RA > 180 THEN RA - 360 ELSE RA END AS RA_SIGNED "
     "FROM DR2_MAIN WHERE ABS(DEC) < 0.01",
     "select coadd_object_id, if(ra > 180, ra - 360, ra) as RA_SIGNED from dr2_main "
     "where dec between -0.01 and 0.01 and dec <> -0.01 and dec <> 0.01", {}),
    ("ra_dec_unaliased_arithmetic",
     "SELECT ra*60, dec / 2 FROM dr2_main WHERE coadd_object_id < 1000000010",
     "select ra * 60 as \"RA*60\", dec / 2 as \"DEC/2\" from dr2_main "
     "where coadd_object_id < 1000000010", {}),
    # -- photometry ----------------------------------------------------------------------
    ("colour_cut",
     "SELECT COADD_OBJECT_ID, MAG_AUTO_G - MAG_AUTO_R AS GR FROM DR2_MAIN "
     "WHERE MAG_AUTO_G - MAG_AUTO_R > 0.8 AND MAG_AUTO_I < 22",
     "select coadd_object_id, mag_auto_g - mag_auto_r as GR from dr2_main "
     "where mag_auto_g - mag_auto_r > 0.8 and mag_auto_i < 22", {}),
    ("colour_unaliased_name",
     "select mag_auto_g-mag_auto_r from dr2_main where rownum <= 5",
     "select mag_auto_g - mag_auto_r as \"MAG_AUTO_G-MAG_AUTO_R\" from dr2_main limit 5", {}),
    ("colour_unaliased_spaces",
     "SELECT COADD_OBJECT_ID, MAG_AUTO_R   -   MAG_AUTO_I FROM DR2_MAIN "
     "WHERE COADD_OBJECT_ID < 1000000020",
     "select coadd_object_id, mag_auto_r - mag_auto_i as \"MAG_AUTO_R-MAG_AUTO_I\" "
     "from dr2_main where coadd_object_id < 1000000020", {}),
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
    ("galaxies_extended_class_in",
     "select COADD_OBJECT_ID, mag_auto_r from DR2_MAIN where extended_class_coadd in (2, 3) "
     "and mag_auto_r < 19.5",
     "select coadd_object_id, mag_auto_r from dr2_main where extended_class_coadd >= 2 "
     "and mag_auto_r < 19.5", {}),
    ("spread_model_stars",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE ABS(SPREAD_MODEL_I) < 0.003 + "
     "SPREADERR_MODEL_I AND MAGERR_AUTO_I < 0.05",
     "select coadd_object_id from dr2_main where abs(spread_model_i) < 0.003 + "
     "spreaderr_model_i and magerr_auto_i < 0.05", {}),
    ("spread_model_galaxies_sum",
     "SELECT COUNT(*) AS NGAL FROM DR2_MAIN WHERE SPREAD_MODEL_I + 3*SPREADERR_MODEL_I > 0.005",
     "select count(*) as NGAL from dr2_main where spread_model_i + 3 * spreaderr_model_i "
     "> 0.005", {}),
    ("snr_cut",
     "SELECT COADD_OBJECT_ID, 1.0857 / MAGERR_AUTO_G AS SNR_G FROM DR2_MAIN "
     "WHERE MAGERR_AUTO_G > 0 AND 1.0857 / MAGERR_AUTO_G > 200",
     "select coadd_object_id, 1.0857 / magerr_auto_g as SNR_G from dr2_main "
     "where magerr_auto_g > 0 and 1.0857 / magerr_auto_g > 200", {}),
    ("ebv_corrected_colour",
     "SELECT COADD_OBJECT_ID, (MAG_AUTO_G - 3.186 * EBV_SFD98) - (MAG_AUTO_R - 2.140 * "
     "EBV_SFD98) AS GR0 FROM DR2_MAIN WHERE EXTENDED_CLASS_COADD = 3 AND MAG_AUTO_R < 21",
     "select coadd_object_id, (mag_auto_g - 3.186 * ebv_sfd98) - (mag_auto_r - 2.140 * "
     "ebv_sfd98) as GR0 from dr2_main where extended_class_coadd = 3 and mag_auto_r < 21", {}),
    ("dered_all_bands",
     "SELECT COADD_OBJECT_ID, MAG_AUTO_G - 3.186*EBV_SFD98 AS G0, MAG_AUTO_R - 2.140*EBV_SFD98 "
     "AS R0, MAG_AUTO_I - 1.569*EBV_SFD98 AS I0, MAG_AUTO_Z - 1.196*EBV_SFD98 AS Z0, "
     "MAG_AUTO_Y - 1.048*EBV_SFD98 AS Y0 FROM DR2_MAIN WHERE MAG_AUTO_I < 18",
     "select coadd_object_id, mag_auto_g - 3.186*ebv_sfd98 as G0, mag_auto_r - 2.140*ebv_sfd98 "
     "as R0, mag_auto_i - 1.569*ebv_sfd98 as I0, mag_auto_z - 1.196*ebv_sfd98 as Z0, "
     "mag_auto_y - 1.048*ebv_sfd98 as Y0 from dr2_main where mag_auto_i < 18", {}),
    ("flux_from_mag",
     "SELECT COADD_OBJECT_ID, POWER(10, -0.4 * (MAG_AUTO_R - 30)) AS FLUX_R FROM DR2_MAIN "
     "WHERE MAG_AUTO_R < 21",
     "select coadd_object_id, pow(10, -0.4 * (mag_auto_r - 30)) as FLUX_R from dr2_main "
     "where mag_auto_r < 21", {}),
    ("mag_from_flux_log",
     "SELECT COADD_OBJECT_ID, 30 - 2.5*LOG(10, FLUX_AUTO_I) AS MAG_I FROM DR2_MAIN "
     "WHERE FLUX_AUTO_I > 5000",
     "select coadd_object_id, 30 - 2.5*log10(flux_auto_i) as MAG_I from dr2_main "
     "where flux_auto_i > 5000", {}),
    ("log10_flux",
     "SELECT COADD_OBJECT_ID, LOG(10, FLUX_AUTO_G) AS LF FROM DR2_MAIN WHERE FLUX_AUTO_G > 1000",
     "select coadd_object_id, log10(flux_auto_g) as LF from dr2_main where flux_auto_g > 1000",
     {}),
    ("ln_exp_sqrt",
     "SELECT COADD_OBJECT_ID, LN(FLUX_AUTO_R) AS LNF, EXP(-MAGERR_AUTO_R) AS W, "
     "SQRT(A_IMAGE*B_IMAGE) AS R_GEO FROM DR2_MAIN WHERE COADD_OBJECT_ID < 1000000050 "
     "AND FLUX_AUTO_R > 0",
     "select coadd_object_id, ln(flux_auto_r) as LNF, exp(-magerr_auto_r) as W, "
     "sqrt(a_image*b_image) as R_GEO from dr2_main where coadd_object_id < 1000000050 "
     "and flux_auto_r > 0", {}),
    ("ellipticity",
     "SELECT COADD_OBJECT_ID, 1 - B_IMAGE/A_IMAGE AS ELL FROM DR2_MAIN WHERE A_IMAGE > 0 "
     "AND 1 - B_IMAGE/A_IMAGE > 0.5 AND MAG_AUTO_I < 21",
     "select coadd_object_id, 1 - b_image/a_image as ELL from dr2_main where a_image > 0 "
     "and 1 - b_image/a_image > 0.5 and mag_auto_i < 21", {}),
    ("sign_abs_of_colour",
     "SELECT SIGN(MAG_AUTO_G - MAG_AUTO_R) AS S, COUNT(*) AS N FROM DR2_MAIN "
     "GROUP BY SIGN(MAG_AUTO_G - MAG_AUTO_R)",
     "select sign(mag_auto_g - mag_auto_r) as S, count(*) as N from dr2_main group by 1", {}),
    ("nvl_mag_99",
     "SELECT COUNT(*) AS N FROM DR2_MAIN WHERE NVL(MAG_AUTO_Y, 99) < 99 AND MAG_AUTO_Y < 20",
     "select count(*) as N from dr2_main where coalesce(mag_auto_y, 99) < 99 "
     "and mag_auto_y < 20", {}),
    ("greatest_least",
     "SELECT COADD_OBJECT_ID, GREATEST(FLUX_RADIUS_G, FLUX_RADIUS_R) AS FR_MAX, "
     "LEAST(MAG_AUTO_G, MAG_AUTO_R, MAG_AUTO_I) AS M_MIN FROM DR2_MAIN "
     "WHERE COADD_OBJECT_ID < 1000000100",
     "select coadd_object_id, greatest(flux_radius_g, flux_radius_r) as FR_MAX, "
     "least(mag_auto_g, mag_auto_r, mag_auto_i) as M_MIN from dr2_main "
     "where coadd_object_id < 1000000100", {}),
    ("round_trunc",
     "SELECT COADD_OBJECT_ID, ROUND(MAG_AUTO_G, 2) AS G2, TRUNC(RA, 1) AS RA1 FROM DR2_MAIN "
     "WHERE COADD_OBJECT_ID < 1000000100",
     "select coadd_object_id, round(mag_auto_g, 2) as G2, trunc(ra, 1) as RA1 from dr2_main "
     "where coadd_object_id < 1000000100", {}),
    ("ceil_floor",
     "SELECT CEIL(MAG_AUTO_I) AS UP, FLOOR(MAG_AUTO_I) AS DOWN, COUNT(*) AS N FROM DR2_MAIN "
     "GROUP BY CEIL(MAG_AUTO_I), FLOOR(MAG_AUTO_I)",
     "select ceil(mag_auto_i) as UP, floor(mag_auto_i) as DOWN, count(*) as N from dr2_main "
     "group by 1, 2", {}),
    ("magnitude_histogram",
     "SELECT FLOOR(MAG_AUTO_I * 2) / 2 AS BIN, COUNT(*) AS N FROM DR2_MAIN "
     "WHERE MAG_AUTO_I < 30 GROUP BY FLOOR(MAG_AUTO_I * 2) / 2",
     "select floor(mag_auto_i * 2) / 2 as BIN, count(*) as N from dr2_main "
     "where mag_auto_i < 30 group by 1", {}),
    ("width_bucket_like_histogram",
     "select trunc((mag_auto_r - 15) / 0.5) bin, count(*) n from dr2_main "
     "where mag_auto_r between 15 and 25 group by trunc((mag_auto_r - 15) / 0.5)",
     "select trunc((mag_auto_r - 15) / 0.5) as BIN, count(*) as N from dr2_main "
     "where mag_auto_r >= 15 and mag_auto_r <= 25 group by 1", {}),
    # -- flags --------------------------------------------------------------------------
    ("flags_zero_all_bands",
     "SELECT COUNT(*) FROM DR2_MAIN WHERE FLAGS_G = 0 AND FLAGS_R = 0 AND FLAGS_I = 0 AND "
     "FLAGS_Z = 0 AND FLAGS_Y = 0",
     "select count(*) as \"COUNT(*)\" from dr2_main where greatest(flags_g, flags_r, flags_i, "
     "flags_z, flags_y) = 0", {}),
    ("flags_lt_4",
     "SELECT COADD_OBJECT_ID, FLAGS_I FROM DR2_MAIN WHERE FLAGS_I < 4 AND FLAGS_I > 0 "
     "AND MAG_AUTO_I < 20",
     "select coadd_object_id, flags_i from dr2_main where flags_i in (1, 2, 3) "
     "and mag_auto_i < 20", {}),
    ("bitand_flags",
     "SELECT COUNT(*) FROM DR2_MAIN WHERE BITAND(FLAGS_I, 4) = 0 AND BITAND(FLAGS_G, 2) > 0",
     "select count(*) as \"COUNT(*)\" from dr2_main where (flags_i & 4) = 0 "
     "and (flags_g & 2) > 0", {}),
    ("bitand_in_select",
     "select coadd_object_id, bitand(flags_r, 3) blended from dr2_main where flags_r > 0 "
     "and coadd_object_id < 1000002000",
     "select coadd_object_id, flags_r & 3 as BLENDED from dr2_main where flags_r > 0 "
     "and coadd_object_id < 1000002000", {}),
    ("flags_histogram_ordered",
     "SELECT FLAGS_I, COUNT(*) AS N FROM DR2_MAIN GROUP BY FLAGS_I ORDER BY FLAGS_I",
     "select flags_i, count(*) as N from dr2_main group by flags_i order by flags_i", {}),
    # -- ROWNUM, FETCH, OFFSET ------------------------------------------------------------
    ("rownum_top_ordered",
     "SELECT * FROM (SELECT COADD_OBJECT_ID, MAG_AUTO_I FROM DR2_MAIN "
     "ORDER BY MAG_AUTO_I, COADD_OBJECT_ID) WHERE ROWNUM <= 10",
     "select coadd_object_id, mag_auto_i from dr2_main order by mag_auto_i, coadd_object_id "
     "limit 10", {}),
    ("rownum_lt_ordered",
     "SELECT * FROM (SELECT COADD_OBJECT_ID FROM DR2_MAIN ORDER BY COADD_OBJECT_ID) "
     "WHERE ROWNUM < 4",
     "select coadd_object_id from dr2_main order by coadd_object_id limit 3", {}),
    ("rownum_eq_1_ordered",
     "SELECT * FROM (SELECT TILENAME FROM DR2_TILE_INFO ORDER BY TILENAME DESC) WHERE ROWNUM = 1",
     "select tilename from dr2_tile_info order by tilename desc limit 1", {}),
    ("rownum_count",
     "SELECT COUNT(*) AS N FROM DR2_MAIN WHERE ROWNUM <= 1000",
     "select count(*) as N from (select 1 from dr2_main limit 1000)", {}),
    ("rownum_with_filter_count",
     "SELECT COUNT(*) FROM DR2_MAIN WHERE MAG_AUTO_I < 22 AND ROWNUM <= 50",
     "select count(*) as \"COUNT(*)\" from (select 1 from dr2_main where mag_auto_i < 22 "
     "limit 50)", {}),
    ("rownum_reversed_comparison",
     "SELECT COUNT(*) AS N FROM DR2_MAIN WHERE 25 >= ROWNUM",
     "select count(*) as N from (select 1 from dr2_main limit 25)", {}),
    ("rownum_gt_1_is_empty",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE ROWNUM > 1",
     "select coadd_object_id from dr2_main where false", {}),
    ("rownum_eq_2_is_empty",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE ROWNUM = 2",
     "select coadd_object_id from dr2_main limit 0", {}),
    ("rownum_ge_1_keeps_all",
     "SELECT COUNT(*) AS N FROM DR2_TILE_INFO WHERE ROWNUM >= 1",
     "select count(*) as N from dr2_tile_info", {}),
    ("rownum_bind_cap",
     "SELECT COUNT(*) AS N FROM (SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE ROWNUM <= :n)",
     "select count(*) as N from (select 1 from dr2_main limit 37)", {"n": 37}),
    ("rownum_distinct_tiles",
     "SELECT COUNT(*) AS N FROM (SELECT DISTINCT TILENAME FROM DR2_MAIN WHERE ROWNUM <= 2000)",
     "select count(distinct tilename) as N from (select tilename from dr2_main limit 2000)",
     {}),
    ("rownum_group_by_one_table",
     "SELECT EXTENDED_CLASS_COADD, COUNT(*) AS N FROM DR2_MAIN WHERE ROWNUM <= 5000 "
     "GROUP BY EXTENDED_CLASS_COADD",
     "select extended_class_coadd, count(*) as N from (select * from dr2_main limit 5000) "
     "group by 1", {}),
    ("rownum_aggregate_with_where",
     "SELECT AVG(MAG_AUTO_I) AS MEAN_I, MAX(RA) AS RA_MAX FROM DR2_MAIN WHERE FLAGS_I = 0 "
     "AND ROWNUM <= 300",
     "select avg(mag_auto_i) as MEAN_I, max(ra) as RA_MAX from (select * from dr2_main "
     "where flags_i = 0 limit 300)", {}),
    ("rownum_group_by_join",
     "SELECT t.CROSSRA0, COUNT(*) AS N FROM DR2_MAIN m, DR2_TILE_INFO t WHERE "
     "m.TILENAME = t.TILENAME AND ROWNUM <= 700 GROUP BY t.CROSSRA0",
     "select crossra0, count(*) as N from (select t.crossra0 from dr2_main m join "
     "dr2_tile_info t on m.tilename = t.tilename limit 700) group by crossra0", {}),
    ("rownum_count_join",
     "SELECT COUNT(*) FROM DR2_MAIN m JOIN DR2_TILE_INFO t ON m.TILENAME = t.TILENAME "
     "WHERE t.CROSSRA0 = 'N' AND ROWNUM < 101",
     "select count(*) as \"COUNT(*)\" from (select 1 from dr2_main m join dr2_tile_info t "
     "on m.tilename = t.tilename where t.crossra0 = 'N' limit 100)", {}),
    ("rownum_in_select_numbering_ordered",
     "SELECT ROWNUM, TILENAME FROM (SELECT TILENAME FROM DR2_TILE_INFO ORDER BY TILENAME) "
     "WHERE ROWNUM <= 5",
     "select row_number() over (order by tilename) as \"ROWNUM\", tilename from "
     "(select tilename from dr2_tile_info order by tilename limit 5) order by tilename", {}),
    ("rownum_alias_rank_ordered",
     "SELECT ROWNUM AS RANK_I, COADD_OBJECT_ID FROM (SELECT COADD_OBJECT_ID FROM DR2_MAIN "
     "WHERE MAG_AUTO_I < 17 ORDER BY MAG_AUTO_I, COADD_OBJECT_ID)",
     "select row_number() over (order by mag_auto_i, coadd_object_id) as RANK_I, "
     "coadd_object_id from dr2_main where mag_auto_i < 17 "
     "order by mag_auto_i, coadd_object_id", {}),
    ("fetch_first_ordered",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN ORDER BY COADD_OBJECT_ID DESC "
     "FETCH FIRST 5 ROWS ONLY",
     "select coadd_object_id from dr2_main order by coadd_object_id desc limit 5", {}),
    ("fetch_first_row_only_ordered",
     "select tilename from dr2_tile_info order by ra_cent desc, tilename fetch first row only",
     "select tilename from dr2_tile_info order by ra_cent desc, tilename limit 1", {}),
    ("offset_fetch_ordered",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN ORDER BY COADD_OBJECT_ID "
     "OFFSET 10 ROWS FETCH NEXT 5 ROWS ONLY",
     "select coadd_object_id from dr2_main order by coadd_object_id limit 5 offset 10", {}),
    ("offset_only_ordered",
     "SELECT TILENAME FROM DR2_TILE_INFO ORDER BY TILENAME OFFSET 245 ROWS",
     "select tilename from dr2_tile_info order by tilename offset 245", {}),
    ("fetch_bind_ordered",
     "SELECT COADD_OBJECT_ID, MAG_AUTO_R FROM DR2_MAIN ORDER BY MAG_AUTO_R, COADD_OBJECT_ID "
     "FETCH FIRST :k ROWS ONLY",
     "select coadd_object_id, mag_auto_r from dr2_main order by mag_auto_r, coadd_object_id "
     "limit 7", {"k": 7}),
    # -- NVL, DECODE, CASE, strings --------------------------------------------------------
    ("nvl_tile_images",
     "SELECT TILENAME, NVL(FITS_IMAGE_G, 'none') AS IMG FROM DR2_TILE_INFO",
     "select tilename, coalesce(fits_image_g, 'none') as IMG from dr2_tile_info", {}),
    ("nvl_unaliased_name",
     "select tilename, nvl(fits_image_r, 'missing') from dr2_tile_info where id < 10",
     "select tilename, coalesce(fits_image_r, 'missing') as \"NVL(FITS_IMAGE_R,'MISSING')\" "
     "from dr2_tile_info where id < 10", {}),
    ("nvl2_has_image",
     "SELECT TILENAME, NVL2(FITS_IMAGE_R, 1, 0) AS HAS_R FROM DR2_TILE_INFO",
     "select tilename, case when fits_image_r is null then 0 else 1 end as HAS_R "
     "from dr2_tile_info", {}),
    ("coalesce_images",
     "SELECT TILENAME, COALESCE(FITS_IMAGE_Y, FITS_IMAGE_Z, FITS_IMAGE_I, 'none') AS ANY_IMG "
     "FROM DR2_TILE_INFO",
     "select tilename, ifnull(fits_image_y, ifnull(fits_image_z, ifnull(fits_image_i, "
     "'none'))) as ANY_IMG from dr2_tile_info", {}),
    ("decode_class",
     "SELECT COADD_OBJECT_ID, DECODE(EXTENDED_CLASS_COADD, 0, 'star', 1, 'star', 2, "
     "'galaxy', 3, 'galaxy', 'unknown') AS CLS FROM DR2_MAIN "
     "WHERE COADD_OBJECT_ID < 1000000200",
     "select coadd_object_id, case when extended_class_coadd in (0, 1) then 'star' "
     "when extended_class_coadd in (2, 3) then 'galaxy' else 'unknown' end as CLS "
     "from dr2_main where coadd_object_id < 1000000200", {}),
    ("decode_null_matches_null",
     "SELECT TILENAME, DECODE(FITS_IMAGE_G, NULL, 'no pixels', 'pixels') AS STATUS "
     "FROM DR2_TILE_INFO",
     "select tilename, case when fits_image_g is null then 'no pixels' else 'pixels' end "
     "as STATUS from dr2_tile_info", {}),
    ("decode_crossra0_count",
     "SELECT SUM(DECODE(CROSSRA0, 'Y', 1, 0)) AS NCROSS FROM DR2_TILE_INFO",
     "select sum(case crossra0 when 'Y' then 1 else 0 end) as NCROSS from dr2_tile_info", {}),
    ("case_colour_class",
     "SELECT CASE WHEN MAG_AUTO_G - MAG_AUTO_I > 1.5 THEN 'red' WHEN MAG_AUTO_G - "
     "MAG_AUTO_I > 0.5 THEN 'green' ELSE 'blue' END AS COLOUR, COUNT(*) AS N "
     "FROM DR2_MAIN GROUP BY CASE WHEN MAG_AUTO_G - MAG_AUTO_I > 1.5 THEN 'red' WHEN "
     "MAG_AUTO_G - MAG_AUTO_I > 0.5 THEN 'green' ELSE 'blue' END",
     "select case when mag_auto_g - mag_auto_i > 1.5 then 'red' when mag_auto_g - mag_auto_i "
     "> 0.5 then 'green' else 'blue' end as COLOUR, count(*) as N from dr2_main "
     "group by COLOUR", {}),
    ("case_simple_form",
     "select case extended_class_coadd when 0 then 'S' when 3 then 'G' else '?' end cls, "
     "count(*) n from dr2_main group by case extended_class_coadd when 0 then 'S' "
     "when 3 then 'G' else '?' end",
     "select case when extended_class_coadd = 0 then 'S' when extended_class_coadd = 3 "
     "then 'G' else '?' end as CLS, count(*) as N from dr2_main group by 1", {}),
    ("concat_pipes",
     "SELECT TILENAME || '_g.fits.fz' AS FNAME FROM DR2_TILE_INFO WHERE ID < 5",
     "select concat(tilename, '_g.fits.fz') as FNAME from dr2_tile_info where id < 5", {}),
    ("concat_null_is_empty",
     "SELECT TILENAME, TILENAME || FITS_IMAGE_G AS F FROM DR2_TILE_INFO",
     "select tilename, tilename || coalesce(fits_image_g, '') as F from dr2_tile_info", {}),
    ("concat_function_null",
     "SELECT CONCAT(FITS_IMAGE_G, TILENAME) AS F FROM DR2_TILE_INFO",
     "select coalesce(fits_image_g, '') || tilename as F from dr2_tile_info", {}),
    ("concat_all_null_is_null",
     "SELECT TILENAME, FITS_IMAGE_G || FITS_IMAGE_R AS BOTH FROM DR2_TILE_INFO",
     "select tilename, case when fits_image_g is null and fits_image_r is null then null "
     "else coalesce(fits_image_g, '') || coalesce(fits_image_r, '') end as BOTH "
     "from dr2_tile_info", {}),
    ("concat_unaliased_name",
     "select tilename||'.fits' from dr2_tile_info where id < 3",
     "select tilename || '.fits' as \"TILENAME||'.FITS'\" from dr2_tile_info where id < 3",
     {}),
    ("empty_string_is_null",
     "SELECT COUNT(*) AS N FROM DR2_TILE_INFO WHERE '' IS NULL",
     "select count(*) as N from dr2_tile_info", {}),
    ("empty_string_never_equal",
     "SELECT COUNT(*) AS N FROM DR2_TILE_INFO WHERE TILENAME <> ''",
     "select 0::bigint as N", {}),
    ("like_substr",
     "SELECT DISTINCT SUBSTR(TILENAME, 1, 7) AS RA_PART FROM DR2_MAIN WHERE TILENAME LIKE "
     "'DES000%'",
     "select distinct tilename[1:7] as RA_PART from dr2_main where "
     "starts_with(tilename, 'DES000')", {}),
    ("like_underscore",
     "SELECT TILENAME FROM DR2_TILE_INFO WHERE TILENAME LIKE 'DES000_+0000'",
     "select tilename from dr2_tile_info where regexp_full_match(tilename, 'DES000.\\+0000')",
     {}),
    ("instr_length_upper_lower",
     "SELECT TILENAME, INSTR(TILENAME, '-') AS DASH, LENGTH(TILENAME) AS L, "
     "LOWER(TILENAME) AS LOW FROM DR2_TILE_INFO WHERE UPPER(CROSSRA0) = 'Y'",
     "select tilename, strpos(tilename, '-') as DASH, length(tilename) as L, "
     "lower(tilename) as LOW from dr2_tile_info where crossra0 = 'Y'", {}),
    ("substr_dec_sign",
     "SELECT SUBSTR(TILENAME, 8, 1) AS SGN, COUNT(*) AS N FROM DR2_TILE_INFO "
     "GROUP BY SUBSTR(TILENAME, 8, 1)",
     "select tilename[8:8] as SGN, count(*) as N from dr2_tile_info group by 1", {}),
    ("substr_negative_start",
     "SELECT TILENAME, SUBSTR(TILENAME, -4) AS DEC_PART FROM DR2_TILE_INFO WHERE ID < 6",
     "select tilename, right(tilename, 4) as DEC_PART from dr2_tile_info where id < 6", {}),
    ("trim_replace_lpad",
     "SELECT REPLACE(TILENAME, 'DES', '') AS T, LPAD(ID, 5, '0') AS PADDED, "
     "TRIM('  ' || CROSSRA0 || '  ') AS C FROM DR2_TILE_INFO WHERE ID < 4",
     "select replace(tilename, 'DES', '') as T, lpad(id::varchar, 5, '0') as PADDED, "
     "crossra0 as C from dr2_tile_info where id < 4", {}),
    ("to_char_format",
     "SELECT TILENAME, TO_CHAR(RA_CENT, 'FM990.00') AS RA_TXT FROM DR2_TILE_INFO "
     "WHERE ID < 8",
     "select tilename, printf('%.2f', ra_cent) as RA_TXT from dr2_tile_info where id < 8", {}),
    ("to_char_padded_format",
     "SELECT ID, TO_CHAR(DEC_CENT, '990.000') AS DEC_TXT FROM DR2_TILE_INFO WHERE ID < 8",
     "select id, lpad(printf('%.3f', dec_cent), 8, ' ') as DEC_TXT from dr2_tile_info "
     "where id < 8", {}),
    ("to_char_integer",
     "SELECT TO_CHAR(COADD_OBJECT_ID) AS ID_TXT FROM DR2_MAIN WHERE COADD_OBJECT_ID < "
     "1000000005",
     "select coadd_object_id::varchar as ID_TXT from dr2_main where coadd_object_id < "
     "1000000005", {}),
    ("to_number_of_tile_ra",
     "SELECT TILENAME, TO_NUMBER(SUBSTR(TILENAME, 4, 4)) / 10 AS RA_TILE FROM DR2_TILE_INFO "
     "WHERE ID < 10",
     "select tilename, cast(tilename[4:7] as double) / 10 as RA_TILE from dr2_tile_info "
     "where id < 10", {}),
    ("to_number_with_format",
     "SELECT TO_NUMBER('1,234.5', '9,999.9') AS X FROM DUAL",
     "select 1234.5::double as X", {}),
    # -- constants, DUAL, pseudo-columns -------------------------------------------------
    ("dual_constant",
     "SELECT 1 AS ONE, 'DES' AS SURVEY FROM DUAL",
     "select 1 as ONE, 'DES' as SURVEY", {}),
    ("dual_arithmetic",
     "SELECT POWER(10, -0.4 * (22.5 - 30)) AS FLUX, ROUND(ACOS(-1), 6) AS PI FROM DUAL",
     "select pow(10, -0.4 * (22.5 - 30)) as FLUX, round(pi(), 6) as PI", {}),
    ("dual_lower_case_unaliased",
     "select 2 * 3, mod(7, 3) from dual",
     "select 2 * 3 as \"2*3\", 7 % 3 as \"MOD(7,3)\"", {}),
    ("dual_dummy",
     "SELECT DUMMY FROM DUAL",
     "select 'X' as DUMMY", {}),
    ("mod_zero_divisor",
     "SELECT MOD(11, 0) AS M0, MOD(-11, 4) AS MN, MOD(11, -4) AS MD FROM DUAL",
     "select 11 as M0, -3 as MN, 3 as MD", {}),
    ("trig_degrees",
     "SELECT ROUND(SIN(RADIANS(30)), 12) AS S, ROUND(DEGREES(ATAN2(1, 1)), 9) AS A, "
     "ROUND(COS(0), 3) AS C, ROUND(TAN(RADIANS(45)), 9) AS T FROM DUAL",
     "select round(sin(pi()/6), 12) as S, round(atan2(1, 1)*180/pi(), 9) as A, "
     "round(cos(0), 3) as C, round(tan(pi()/4), 9) as T", {}),
    ("power_sqrt_abs",
     "SELECT POWER(2, 10) AS P, SQRT(16) AS Q, ABS(-3.5) AS A FROM DUAL",
     "select pow(2, 10) as P, sqrt(16) as Q, abs(-3.5) as A", {}),
    ("user_and_sysdate_exist",
     "SELECT COUNT(*) AS N FROM DUAL WHERE USER IS NOT NULL AND SYSDATE > DATE '2020-01-01'",
     "select 1::bigint as N", {}),
    ("sysdate_truncated_year",
     "SELECT EXTRACT(YEAR FROM TRUNC(SYSDATE)) - EXTRACT(YEAR FROM SYSDATE) AS D FROM DUAL",
     "select 0::bigint as D", {}),
    ("hint_parallel",
     "SELECT /*+ PARALLEL(DR2_MAIN, 8) */ COUNT(*) AS N FROM DR2_MAIN WHERE MAG_AUTO_G < 20",
     "select count(*) as N from dr2_main where mag_auto_g < 20", {}),
    ("hint_index_and_comment",
     "select /*+ index(m dr2_main_radec_idx) */ m.coadd_object_id -- pick ids\n"
     "from dr2_main m /* the main table */ where m.ra between 0.1 and 0.12",
     "select coadd_object_id from dr2_main where ra between 0.1 and 0.12", {}),
    ("hint_full_first_rows",
     "SELECT /*+ FULL(t) FIRST_ROWS(10) */ t.TILENAME FROM DR2_TILE_INFO t "
     "WHERE t.DEC_CENT > 0.5",
     "select tilename from dr2_tile_info where dec_cent > 0.5", {}),
    ("quoted_alias_and_comments",
     "-- bright objects\nSELECT RA AS \"ra_deg\", /* the id */ COADD_OBJECT_ID FROM DR2_MAIN "
     "WHERE MAG_AUTO_I < 19;",
     "select ra as ra_deg, coadd_object_id from dr2_main where mag_auto_i < 19", {}),
    ("mixed_case_alias",
     "Select Ra As RaDeg, Dec decDeg From Dr2_Main Where Coadd_Object_Id < 1000000003",
     "select ra as RADEG, dec as DECDEG from dr2_main where coadd_object_id < 1000000003", {}),
    ("quoted_table_and_column",
     "SELECT \"RA\", \"DEC\" FROM \"DR2_MAIN\" WHERE \"COADD_OBJECT_ID\" = 1000000042",
     "select ra, dec from dr2_main where coadd_object_id = 1000000042", {}),
    # -- binds --------------------------------------------------------------------------
    ("bind_box",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE RA BETWEEN :ra_min AND :ra_max "
     "AND DEC BETWEEN :dec_min AND :dec_max",
     "select coadd_object_id from dr2_main where ra between 0.1 and 0.3 "
     "and dec between -0.2 and 0.0",
     {"ra_min": 0.1, "ra_max": 0.3, "dec_min": -0.2, "dec_max": 0.0}),
    ("bind_tilename",
     "SELECT COUNT(*) FROM DR2_MAIN WHERE TILENAME = :tile",
     "select count(*) as \"COUNT(*)\" from dr2_main where tilename = 'DES0000+0000'",
     {"tile": "DES0000+0000"}),
    ("bind_upper_case_name",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE MAG_AUTO_I < :MAGLIM AND RA < :RaMax",
     "select coadd_object_id from dr2_main where mag_auto_i < 17.5 and ra < 10",
     {"maglim": 17.5, "ramax": 10}),
    ("bind_reused",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE MAG_AUTO_G < :m AND MAG_AUTO_R < :m "
     "AND MAG_AUTO_I < :m",
     "select coadd_object_id from dr2_main where greatest(mag_auto_g, mag_auto_r, mag_auto_i) "
     "< 17.8", {"m": 17.8}),
    ("bind_in_list",
     "SELECT TILENAME, COUNT(*) AS N FROM DR2_MAIN WHERE TILENAME IN (:t1, :t2) "
     "GROUP BY TILENAME",
     "select tilename, count(*) as N from dr2_main where tilename in ('DES0001+0000', "
     "'DES0000+0006') group by tilename", {"t1": "DES0001+0000", "t2": "DES0000+0006"}),
    ("bind_id",
     "select * from dr2_main where coadd_object_id = :id",
     "select * from dr2_main where coadd_object_id = 1000012345", {"id": 1000012345}),
    # -- HEALPix ---------------------------------------------------------------------------
    ("healpix_counts",
     "SELECT HPIX_32, COUNT(*) AS N FROM DR2_MAIN GROUP BY HPIX_32",
     "select hpix_32, count(*) as N from dr2_main group by all", {}),
    ("healpix_single_pixel",
     "SELECT COUNT(*) AS N FROM DR2_MAIN WHERE HPIX_32 = (SELECT MIN(HPIX_32) FROM DR2_MAIN)",
     "with p as (select min(hpix_32) as h from dr2_main) select count(*) as N "
     "from dr2_main, p where hpix_32 = p.h", {}),
    ("healpix_neighbour_subquery",
     "SELECT COUNT(*) FROM DR2_MAIN WHERE HPIX_32 IN "
     "(SELECT HPIX_32 FROM DR2_MAIN WHERE COADD_OBJECT_ID = 1000000000)",
     "select count(*) as \"COUNT(*)\" from dr2_main m where exists (select 1 from dr2_main x "
     "where x.coadd_object_id = 1000000000 and x.hpix_32 = m.hpix_32)", {}),
    ("healpix_parent_trunc",
     "SELECT TRUNC(HPIX_4096 / 4096) AS PARENT, COUNT(*) AS N FROM DR2_MAIN "
     "GROUP BY TRUNC(HPIX_4096 / 4096)",
     "select trunc(hpix_4096 / 4096) as PARENT, count(*) as N from dr2_main group by 1", {}),
    ("healpix_density_ordered",
     "SELECT HPIX_32, COUNT(*) AS N FROM DR2_MAIN GROUP BY HPIX_32 "
     "ORDER BY COUNT(*) DESC, HPIX_32 FETCH FIRST 3 ROWS ONLY",
     "select hpix_32, count(*) as N from dr2_main group by hpix_32 order by N desc, hpix_32 "
     "limit 3", {}),
    # -- tiles and joins -------------------------------------------------------------------
    ("join_tile_info_implicit",
     "SELECT m.COADD_OBJECT_ID, t.RA_CENT, t.DEC_CENT FROM DR2_MAIN m, DR2_TILE_INFO t "
     "WHERE m.TILENAME = t.TILENAME AND m.COADD_OBJECT_ID < 1000000300",
     "select m.coadd_object_id, t.ra_cent, t.dec_cent from dr2_main m join dr2_tile_info t "
     "on m.tilename = t.tilename where m.coadd_object_id < 1000000300", {}),
    ("join_ansi_using",
     "SELECT COUNT(*) FROM DR2_MAIN JOIN DR2_TILE_INFO USING (TILENAME) "
     "WHERE CROSSRA0 = 'Y'",
     "select count(*) as \"COUNT(*)\" from dr2_main m, dr2_tile_info t "
     "where m.tilename = t.tilename and t.crossra0 = 'Y'", {}),
    ("join_inner_on_lower",
     "select m.tilename, t.pixelscale, count(*) n from dr2_main m inner join dr2_tile_info t "
     "on (m.tilename = t.tilename) where t.id < 10 group by m.tilename, t.pixelscale",
     "select m.tilename, t.pixelscale, count(*) as N from dr2_main m, dr2_tile_info t "
     "where m.tilename = t.tilename and t.id < 10 group by all", {}),
    ("outer_join_plus",
     "SELECT t.TILENAME, COUNT(m.COADD_OBJECT_ID) AS N FROM DR2_TILE_INFO t, DR2_MAIN m "
     "WHERE t.TILENAME = m.TILENAME(+) GROUP BY t.TILENAME",
     "select t.tilename, count(m.coadd_object_id) as N from dr2_tile_info t left join "
     "dr2_main m on t.tilename = m.tilename group by t.tilename", {}),
    ("left_outer_join_ansi",
     "SELECT t.TILENAME, COUNT(m.COADD_OBJECT_ID) AS NBRIGHT FROM DR2_TILE_INFO t "
     "LEFT OUTER JOIN DR2_MAIN m ON m.TILENAME = t.TILENAME AND m.MAG_AUTO_I < 17 "
     "GROUP BY t.TILENAME",
     "select t.tilename, count(m.coadd_object_id) as NBRIGHT from dr2_tile_info t left join "
     "(select * from dr2_main where mag_auto_i < 17) m using (tilename) group by t.tilename",
     {}),
    ("objects_in_unique_area",
     "SELECT COUNT(*) FROM DR2_MAIN m, DR2_TILE_INFO t WHERE m.TILENAME = t.TILENAME "
     "AND t.CROSSRA0 = 'N' AND m.RA BETWEEN t.URAMIN AND t.URAMAX "
     "AND m.DEC BETWEEN t.UDECMIN AND t.UDECMAX",
     "select count(*) as \"COUNT(*)\" from dr2_main m join dr2_tile_info t "
     "on m.tilename = t.tilename where t.crossra0 = 'N' and m.ra >= t.uramin and "
     "m.ra <= t.uramax and m.dec >= t.udecmin and m.dec <= t.udecmax", {}),
    ("tile_at_position_crossra0",
     "SELECT TILENAME FROM DR2_TILE_INFO WHERE :dec BETWEEN UDECMIN AND UDECMAX AND "
     "((CROSSRA0 = 'N' AND :ra BETWEEN URAMIN AND URAMAX) OR "
     "(CROSSRA0 = 'Y' AND (:ra >= URAMIN OR :ra <= URAMAX)))",
     "select tilename from dr2_tile_info where 0.01 between udecmin and udecmax and "
     "((crossra0 = 'N' and 359.99 between uramin and uramax) or "
     "(crossra0 = 'Y' and (359.99 >= uramin or 359.99 <= uramax)))",
     {"ra": 359.99, "dec": 0.01}),
    ("tile_corners",
     "SELECT TILENAME, RAC1, DECC1, RAC3, DECC3 FROM DR2_TILE_INFO WHERE CROSSRA0 = 'Y'",
     "select tilename, rac1, decc1, rac3, decc3 from dr2_tile_info where crossra0 = 'Y'", {}),
    ("tile_area_sq_deg",
     "SELECT TILENAME, (URAMAX - URAMIN) * (UDECMAX - UDECMIN) * COS(RADIANS(DEC_CENT)) "
     "AS AREA FROM DR2_TILE_INFO WHERE CROSSRA0 = 'N' AND ID < 20",
     "select tilename, (uramax - uramin) * (udecmax - udecmin) * cos(radians(dec_cent)) "
     "as AREA from dr2_tile_info where crossra0 = 'N' and id < 20", {}),
    ("tile_image_sizes",
     "SELECT NAXIS1 * NAXIS2 AS NPIX, PIXELSCALE * NAXIS1 / 3600 AS SIDE_DEG, COUNT(*) AS N "
     "FROM DR2_TILE_INFO GROUP BY NAXIS1 * NAXIS2, PIXELSCALE * NAXIS1 / 3600",
     "select naxis1 * naxis2 as NPIX, pixelscale * naxis1 / 3600 as SIDE_DEG, count(*) as N "
     "from dr2_tile_info group by 1, 2", {}),
    ("self_join_pairs",
     "SELECT a.COADD_OBJECT_ID AS ID1, b.COADD_OBJECT_ID AS ID2 FROM DR2_MAIN a, DR2_MAIN b "
     "WHERE a.TILENAME = b.TILENAME AND a.COADD_OBJECT_ID < b.COADD_OBJECT_ID "
     "AND ABS(a.RA - b.RA) < 0.0005 AND ABS(a.DEC - b.DEC) < 0.0005 "
     "AND a.COADD_OBJECT_ID < 1000020000",
     "select a.coadd_object_id as ID1, b.coadd_object_id as ID2 from dr2_main a join "
     "dr2_main b on a.tilename = b.tilename and a.coadd_object_id < b.coadd_object_id "
     "where abs(a.ra - b.ra) < 0.0005 and abs(a.dec - b.dec) < 0.0005 "
     "and a.coadd_object_id < 1000020000", {}),
    ("planted_anomalies_join",
     "SELECT a.KIND, COUNT(*) AS N, AVG(m.MAG_AUTO_G - m.MAG_AUTO_Z) AS GZ FROM "
     "DEMO_PLANTED_ANOMALIES a, DR2_MAIN m WHERE a.COADD_OBJECT_ID = m.COADD_OBJECT_ID "
     "GROUP BY a.KIND",
     "select a.kind, count(*) as N, avg(m.mag_auto_g - m.mag_auto_z) as GZ from "
     "demo_planted_anomalies a join dr2_main m on a.coadd_object_id = m.coadd_object_id "
     "group by a.kind", {}),
    ("three_way_join",
     "SELECT a.KIND, t.CROSSRA0, COUNT(*) AS N FROM DEMO_PLANTED_ANOMALIES a, DR2_MAIN m, "
     "DR2_TILE_INFO t WHERE a.COADD_OBJECT_ID = m.COADD_OBJECT_ID AND m.TILENAME = t.TILENAME "
     "GROUP BY a.KIND, t.CROSSRA0",
     "select a.kind, t.crossra0, count(*) as N from demo_planted_anomalies a join dr2_main m "
     "using (coadd_object_id) join dr2_tile_info t on t.tilename = m.tilename group by all",
     {}),
    # -- schema, links ----------------------------------------------------------------------
    ("schema_qualified",
     "SELECT COUNT(*) AS N FROM DES_ADMIN.DR2_MAIN WHERE MAG_AUTO_I < 18",
     "select count(*) as N from dr2_main where mag_auto_i < 18", {}),
    ("schema_qualified_lower_alias",
     "select t.tilename from des_admin.dr2_tile_info t where t.crossra0 = 'Y'",
     "select tilename from dr2_tile_info where crossra0 = 'Y'", {}),
    ("schema_qualified_join",
     "SELECT COUNT(*) AS N FROM DES_ADMIN.DR2_MAIN m JOIN DES_ADMIN.DR2_TILE_INFO t "
     "ON m.TILENAME = t.TILENAME WHERE t.CROSSRA0 = 'Y'",
     "select count(*) as N from dr2_main m join dr2_tile_info t using (tilename) "
     "where t.crossra0 = 'Y'", {}),
    ("db_link_local",
     "SELECT COUNT(*) AS N FROM DR2_MAIN@DESDR WHERE MAG_AUTO_Z < 18",
     "select count(*) as N from dr2_main where mag_auto_z < 18", {}),
    ("db_link_local_alias_lower",
     "select m.ra, m.dec from dr2_main@desdr m where m.coadd_object_id = 1000000007",
     "select ra, dec from dr2_main where coadd_object_id = 1000000007", {}),
    ("db_link_schema_and_join",
     "SELECT COUNT(*) AS N FROM DES_ADMIN.DR2_MAIN@DESDR m, DR2_TILE_INFO@DESDR t "
     "WHERE m.TILENAME = t.TILENAME AND t.ID < 3",
     "select count(*) as N from dr2_main m join dr2_tile_info t using (tilename) "
     "where t.id < 3", {}),
    # -- aggregates -------------------------------------------------------------------------
    ("aggregates",
     "SELECT COUNT(*) AS N, AVG(MAG_AUTO_R) AS MEAN_R, MIN(RA) AS RA_MIN, MAX(DEC) AS DEC_MAX,"
     " STDDEV(MAG_AUTO_G) AS SD_G, VARIANCE(MAG_AUTO_I) AS VAR_I FROM DR2_MAIN "
     "WHERE MAG_AUTO_R < 30",
     "select count(*) as N, avg(mag_auto_r) as MEAN_R, min(ra) as RA_MIN, max(dec) as DEC_MAX,"
     " stddev_samp(mag_auto_g) as SD_G, var_samp(mag_auto_i) as VAR_I from dr2_main "
     "where mag_auto_r < 30", {}),
    ("aggregates_unaliased_names",
     "select count(*), min(mag_auto_g), max(ra) from dr2_main",
     "select count(*) as \"COUNT(*)\", min(mag_auto_g) as \"MIN(MAG_AUTO_G)\", "
     "max(ra) as \"MAX(RA)\" from dr2_main", {}),
    ("count_column_and_sum",
     "SELECT COUNT(FITS_IMAGE_G) AS WITH_G, COUNT(*) AS ALL_TILES, SUM(NAXIS1) AS S "
     "FROM DR2_TILE_INFO",
     "select count(fits_image_g) as WITH_G, count(*) as ALL_TILES, sum(naxis1) as S "
     "from dr2_tile_info", {}),
    ("group_having",
     "SELECT TILENAME, COUNT(*) AS N, AVG(MAG_AUTO_I) AS MI FROM DR2_MAIN GROUP BY TILENAME "
     "HAVING COUNT(*) > 440",
     "select tilename, count(*) as N, avg(mag_auto_i) as MI from dr2_main group by tilename "
     "having count(*) > 440", {}),
    ("group_by_two_ordered",
     "SELECT EXTENDED_CLASS_COADD, FLAGS_I, COUNT(*) AS N FROM DR2_MAIN "
     "GROUP BY EXTENDED_CLASS_COADD, FLAGS_I ORDER BY EXTENDED_CLASS_COADD, FLAGS_I",
     "select extended_class_coadd, flags_i, count(*) as N from dr2_main group by all "
     "order by 1, 2", {}),
    ("median",
     "SELECT TILENAME, MEDIAN(MAG_AUTO_I) AS MED FROM DR2_MAIN GROUP BY TILENAME",
     "select tilename, median(mag_auto_i) as MED from dr2_main group by tilename", {}),
    ("count_distinct",
     "SELECT COUNT(DISTINCT TILENAME) AS NT, COUNT(DISTINCT HPIX_32) AS NH FROM DR2_MAIN",
     "select count(distinct tilename) as NT, count(distinct hpix_32) as NH from dr2_main", {}),
    ("avg_by_class_ordered",
     "SELECT EXTENDED_CLASS_COADD AS CLS, ROUND(AVG(MAG_AUTO_G - MAG_AUTO_I), 4) AS GI "
     "FROM DR2_MAIN GROUP BY EXTENDED_CLASS_COADD ORDER BY 1",
     "select extended_class_coadd as CLS, round(avg(mag_auto_g - mag_auto_i), 4) as GI "
     "from dr2_main group by 1 order by 1", {}),
    ("min_max_per_tile_having",
     "SELECT TILENAME, MAX(RA) - MIN(RA) AS DRA FROM DR2_MAIN GROUP BY TILENAME "
     "HAVING MAX(RA) - MIN(RA) > 1",
     "select tilename, max(ra) - min(ra) as DRA from dr2_main group by tilename "
     "having DRA > 1", {}),
    ("sum_case_fractions",
     "SELECT TILENAME, SUM(CASE WHEN EXTENDED_CLASS_COADD = 0 THEN 1 ELSE 0 END) / COUNT(*) "
     "AS STAR_FRAC FROM DR2_MAIN GROUP BY TILENAME",
     "select tilename, count(*) filter (where extended_class_coadd = 0) / count(*) "
     "as STAR_FRAC from dr2_main group by tilename", {}),
    ("distinct_class",
     "SELECT DISTINCT EXTENDED_CLASS_COADD FROM DR2_MAIN",
     "select extended_class_coadd from dr2_main group by 1", {}),
    ("unique_keyword",
     "SELECT UNIQUE CROSSRA0 FROM DR2_TILE_INFO",
     "select distinct crossra0 from dr2_tile_info", {}),
    # -- subqueries, WITH, set operations -------------------------------------------------
    ("in_subquery_crossra0",
     "SELECT COUNT(*) FROM DR2_MAIN WHERE TILENAME IN (SELECT TILENAME FROM DR2_TILE_INFO "
     "WHERE CROSSRA0 = 'Y')",
     "select count(*) as \"COUNT(*)\" from dr2_main semi join dr2_tile_info t on "
     "dr2_main.tilename = t.tilename and t.crossra0 = 'Y'", {}),
    ("not_in_subquery",
     "SELECT COUNT(*) AS N FROM DR2_MAIN WHERE TILENAME NOT IN (SELECT TILENAME FROM "
     "DR2_TILE_INFO WHERE CROSSRA0 = 'N')",
     "select count(*) as N from dr2_main m anti join (select tilename from dr2_tile_info "
     "where crossra0 = 'N') t using (tilename)", {}),
    ("exists_correlated",
     "SELECT t.TILENAME FROM DR2_TILE_INFO t WHERE EXISTS (SELECT 1 FROM DR2_MAIN m "
     "WHERE m.TILENAME = t.TILENAME AND m.MAG_AUTO_I < 18)",
     "select distinct t.tilename from dr2_tile_info t join dr2_main m on m.tilename = "
     "t.tilename where m.mag_auto_i < 18", {}),
    ("not_exists_correlated",
     "SELECT t.TILENAME FROM DR2_TILE_INFO t WHERE NOT EXISTS (SELECT 1 FROM DR2_MAIN m "
     "WHERE m.TILENAME = t.TILENAME AND m.MAG_AUTO_I < 16)",
     "select tilename from dr2_tile_info except select tilename from dr2_main "
     "where mag_auto_i < 16", {}),
    ("scalar_subquery",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE MAG_AUTO_I < "
     "(SELECT AVG(MAG_AUTO_I) - 3 FROM DR2_MAIN)",
     "with a as (select avg(mag_auto_i) - 3 as lim from dr2_main) select coadd_object_id "
     "from dr2_main, a where mag_auto_i < a.lim", {}),
    ("scalar_subquery_in_select",
     "SELECT TILENAME, (SELECT COUNT(*) FROM DR2_MAIN m WHERE m.TILENAME = t.TILENAME) AS N "
     "FROM DR2_TILE_INFO t WHERE t.ID < 5",
     "select t.tilename, coalesce(c.n, 0) as N from dr2_tile_info t left join (select "
     "tilename, count(*) as n from dr2_main group by 1) c using (tilename) where t.id < 5",
     {}),
    ("inline_view_filter",
     "SELECT * FROM (SELECT COADD_OBJECT_ID, MAG_AUTO_G - MAG_AUTO_R AS GR FROM DR2_MAIN) "
     "WHERE GR > 1.8",
     "select coadd_object_id, mag_auto_g - mag_auto_r as GR from dr2_main "
     "where mag_auto_g - mag_auto_r > 1.8", {}),
    ("inline_view_unaliased_name",
     "SELECT \"COUNT(*)\" AS N FROM (SELECT TILENAME, COUNT(*) FROM DR2_MAIN GROUP BY "
     "TILENAME) WHERE TILENAME = 'DES0000+0000'",
     "select count(*) as N from dr2_main where tilename = 'DES0000+0000'", {}),
    ("with_cte",
     "WITH BRIGHT AS (SELECT COADD_OBJECT_ID, TILENAME FROM DR2_MAIN WHERE MAG_AUTO_R < 20) "
     "SELECT TILENAME, COUNT(*) AS N FROM BRIGHT GROUP BY TILENAME",
     "select tilename, count(*) as N from dr2_main where mag_auto_r < 20 group by tilename",
     {}),
    ("with_two_ctes_join",
     "with stars as (select coadd_object_id, tilename from dr2_main where "
     "extended_class_coadd = 0 and mag_auto_i < 19), tiles as (select tilename, crossra0 "
     "from dr2_tile_info) select t.crossra0, count(*) n from stars s join tiles t "
     "on s.tilename = t.tilename group by t.crossra0",
     "select t.crossra0, count(*) as N from dr2_main m join dr2_tile_info t using (tilename) "
     "where m.extended_class_coadd = 0 and m.mag_auto_i < 19 group by 1", {}),
    ("with_rownum_inside",
     "WITH S AS (SELECT * FROM (SELECT COADD_OBJECT_ID, MAG_AUTO_G FROM DR2_MAIN ORDER BY "
     "MAG_AUTO_G, COADD_OBJECT_ID) WHERE ROWNUM <= 20) SELECT COUNT(*) AS N, "
     "MAX(MAG_AUTO_G) AS FAINTEST FROM S",
     "select count(*) as N, max(mag_auto_g) as FAINTEST from (select mag_auto_g from "
     "dr2_main order by mag_auto_g, coadd_object_id limit 20)", {}),
    ("union_all",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE MAG_AUTO_G < 19 UNION ALL "
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE MAG_AUTO_Z < 18",
     "select coadd_object_id from dr2_main where mag_auto_g < 19 union all "
     "select coadd_object_id from dr2_main where mag_auto_z < 18", {}),
    ("union_distinct",
     "SELECT TILENAME FROM DR2_MAIN WHERE MAG_AUTO_G < 16 UNION "
     "SELECT TILENAME FROM DR2_TILE_INFO WHERE CROSSRA0 = 'Y'",
     "select distinct tilename from (select tilename from dr2_main where mag_auto_g < 16 "
     "union all select tilename from dr2_tile_info where crossra0 = 'Y')", {}),
    ("minus",
     "SELECT TILENAME FROM DR2_TILE_INFO MINUS SELECT TILENAME FROM DR2_MAIN",
     "select tilename from dr2_tile_info where tilename not in "
     "(select tilename from dr2_main)", {}),
    ("minus_non_empty",
     "SELECT TILENAME FROM DR2_TILE_INFO MINUS SELECT TILENAME FROM DR2_TILE_INFO "
     "WHERE CROSSRA0 = 'N'",
     "select tilename from dr2_tile_info where crossra0 = 'Y'", {}),
    ("intersect",
     "SELECT TILENAME FROM DR2_TILE_INFO WHERE CROSSRA0 = 'Y' INTERSECT "
     "SELECT TILENAME FROM DR2_MAIN",
     "select distinct t.tilename from dr2_tile_info t join dr2_main m using (tilename) "
     "where t.crossra0 = 'Y'", {}),
    ("set_operation_names_from_first",
     "SELECT TILENAME AS T FROM DR2_TILE_INFO WHERE ID < 3 UNION ALL "
     "SELECT TILENAME FROM DR2_TILE_INFO WHERE ID >= 247",
     "select tilename as T from dr2_tile_info where id < 3 or id >= 247", {}),
    # -- windows ----------------------------------------------------------------------------
    ("window_brightest_per_tile",
     "SELECT TILENAME, COADD_OBJECT_ID FROM (SELECT TILENAME, COADD_OBJECT_ID, ROW_NUMBER() "
     "OVER (PARTITION BY TILENAME ORDER BY MAG_AUTO_I, COADD_OBJECT_ID) AS RN FROM DR2_MAIN) "
     "WHERE RN = 1",
     "select tilename, arg_min(coadd_object_id, (mag_auto_i, coadd_object_id)) "
     "as COADD_OBJECT_ID from dr2_main group by tilename", {}),
    ("window_rank_dense_rank",
     "SELECT COADD_OBJECT_ID, RANK() OVER (ORDER BY FLAGS_I DESC) AS RK, DENSE_RANK() OVER "
     "(ORDER BY FLAGS_I DESC) AS DRK FROM DR2_MAIN WHERE FLAGS_I >= 6",
     "select coadd_object_id, rank() over (order by flags_i desc) as RK, dense_rank() over "
     "(order by flags_i desc) as DRK from dr2_main where flags_i >= 6", {}),
    ("window_count_per_tile",
     "SELECT COADD_OBJECT_ID, COUNT(*) OVER (PARTITION BY TILENAME) AS NTILE_OBJ FROM "
     "DR2_MAIN WHERE MAG_AUTO_I < 16.5",
     "select coadd_object_id, count(*) over (partition by tilename) as NTILE_OBJ from "
     "dr2_main where mag_auto_i < 16.5", {}),
    ("window_lag",
     "SELECT TILENAME, RA_CENT - LAG(RA_CENT) OVER (ORDER BY ID) AS STEP FROM DR2_TILE_INFO "
     "WHERE ID < 10",
     "select tilename, ra_cent - lag(ra_cent) over (order by id) as STEP from dr2_tile_info "
     "where id < 10", {}),
    ("window_ntile",
     "SELECT NTILE(4) OVER (ORDER BY MAG_AUTO_R, COADD_OBJECT_ID) AS Q, COADD_OBJECT_ID "
     "FROM DR2_MAIN WHERE MAG_AUTO_R < 17",
     "select ntile(4) over (order by mag_auto_r, coadd_object_id) as Q, coadd_object_id "
     "from dr2_main where mag_auto_r < 17", {}),
    # -- sampling ---------------------------------------------------------------------------
    ("sample_seed_repeatable_count",
     "SELECT COUNT(*) AS N FROM DR2_MAIN SAMPLE(5) SEED(11)",
     "select count(*) as N from dr2_main tablesample bernoulli(5 percent) repeatable (11)", {}),
    ("sample_seed_rows",
     "select coadd_object_id from dr2_main sample(0.5) seed(3) where mag_auto_i < 23",
     "select coadd_object_id from dr2_main tablesample bernoulli(0.5 percent) repeatable (3) "
     "where mag_auto_i < 23", {}),
    ("sample_seed_alias_join",
     "SELECT t.CROSSRA0, COUNT(*) AS N FROM DR2_MAIN SAMPLE(2) SEED(5) m, DR2_TILE_INFO t "
     "WHERE m.TILENAME = t.TILENAME GROUP BY t.CROSSRA0",
     "select t.crossra0, count(*) as N from (select * from dr2_main tablesample "
     "bernoulli(2 percent) repeatable (5)) m join dr2_tile_info t using (tilename) "
     "group by 1", {}),
    # -- dates ---------------------------------------------------------------------------
    ("to_date_and_extract",
     "SELECT EXTRACT(MONTH FROM TO_DATE('2019-01-09', 'YYYY-MM-DD')) AS MON FROM DUAL",
     "select 1::bigint as MON", {}),
    ("date_literal_arithmetic",
     "SELECT DATE '2019-01-09' - DATE '2018-12-31' AS DAYS FROM DUAL",
     "select 9::bigint as DAYS", {}),
    # -- casts ---------------------------------------------------------------------------
    ("cast_number_varchar2",
     "SELECT CAST(FLAGS_I AS NUMBER(5)) AS F, CAST(TILENAME AS VARCHAR2(12)) AS T "
     "FROM DR2_MAIN WHERE COADD_OBJECT_ID < 1000000004",
     "select flags_i::decimal(5, 0) as F, tilename as T from dr2_main "
     "where coadd_object_id < 1000000004", {}),
    ("cast_binary_double",
     "SELECT CAST(MAG_AUTO_G AS BINARY_DOUBLE) AS G FROM DR2_MAIN "
     "WHERE COADD_OBJECT_ID < 1000000004",
     "select mag_auto_g::double as G from dr2_main where coadd_object_id < 1000000004", {}),
    ("is_null_checks",
     "SELECT COUNT(*) AS NOIMG FROM DR2_TILE_INFO WHERE FITS_IMAGE_G IS NULL AND "
     "TILENAME IS NOT NULL",
     "select count(*) filter (where fits_image_g is null) as NOIMG from dr2_tile_info", {}),
    ("not_equal_forms",
     "SELECT COUNT(*) AS N FROM DR2_MAIN WHERE FLAGS_I != 0 AND FLAGS_G <> 0 AND "
     "FLAGS_R ^= 0",
     "select count(*) as N from dr2_main where flags_i <> 0 and flags_g <> 0 and "
     "flags_r <> 0", {}),
    ("select_star_ids",
     "SELECT * FROM DR2_TILE_INFO WHERE ID IN (1, 2, 3)",
     "select * from dr2_tile_info where id between 1 and 3", {}),
    ("select_alias_star",
     "SELECT m.* FROM DR2_MAIN m WHERE m.COADD_OBJECT_ID BETWEEN 1000000010 AND 1000000012",
     "select * from dr2_main where coadd_object_id in (1000000010, 1000000011, 1000000012)",
     {}),
    ("multi_line_with_comments",
     "SELECT  -- easyaccess style\n    COADD_OBJECT_ID,\n    RA,\n    DEC\nFROM\n"
     "    DR2_MAIN   -- table\nWHERE\n    MAG_AUTO_I < 17.2\n    AND FLAGS_I = 0",
     "select coadd_object_id, ra, dec from dr2_main where mag_auto_i < 17.2 "
     "and flags_i = 0", {}),
]

# Queries on the published DR2 columns of DR2_MAIN (WAVG_*, *_DERED, IMAFLAGS_ISO_*, HPIX_*,
# CLASS_STAR_*, EXTENDED_CLASS_WAVG, NEPOCHS_*, ...), shaped like the DES DR2 documentation's
# examples (M2 field, the RA 40 / Dec -40 field, star/galaxy cuts).
DR2: list[Entry] = [
    ("dr2_m2_field_stars",
     "SELECT COADD_OBJECT_ID, RA, DEC, WAVG_MAG_PSF_G, WAVG_MAG_PSF_R FROM DR2_MAIN "
     "WHERE RA BETWEEN 323.2 AND 323.5 AND DEC BETWEEN -1.0 AND -0.6 "
     "AND WAVG_SPREAD_MODEL_I + 3.0*WAVG_SPREADERR_MODEL_I < 0.005",
     "select coadd_object_id, ra, dec, wavg_mag_psf_g, wavg_mag_psf_r from dr2_main "
     "where ra >= 323.2 and ra <= 323.5 and dec >= -1 and dec <= -0.6 and "
     "wavg_spread_model_i + 3 * wavg_spreaderr_model_i < 0.005", {}),
    ("dr2_m2_cmd_dered",
     "select wavg_mag_psf_g_dered - wavg_mag_psf_r_dered gr0, wavg_mag_psf_g_dered g0 "
     "from dr2_main where ra between 323.3 and 323.42 and dec between -0.88 and -0.76 "
     "and extended_class_wavg <= 1",
     "select wavg_mag_psf_g_dered - wavg_mag_psf_r_dered as GR0, wavg_mag_psf_g_dered as G0 "
     "from dr2_main where ra between 323.3 and 323.42 and dec between -0.88 and -0.76 "
     "and extended_class_wavg in (-9, 0, 1)", {}),
    ("dr2_field_40_galaxies",
     "SELECT /*+ PARALLEL(8) */ COADD_OBJECT_ID, MAG_AUTO_R_DERED FROM DR2_MAIN "
     "WHERE RA BETWEEN 39.5 AND 40.5 AND DEC BETWEEN -40.5 AND -39.5 "
     "AND EXTENDED_CLASS_COADD >= 2 AND MAG_AUTO_R < 22",
     "select coadd_object_id, mag_auto_r_dered from dr2_main where ra between 39.5 and 40.5 "
     "and dec between -40.5 and -39.5 and extended_class_coadd in (2, 3) "
     "and mag_auto_r < 22", {}),
    ("dr2_wavg_stars_count",
     "SELECT COUNT(*) AS N FROM DR2_MAIN WHERE WAVG_MAG_PSF_G < 21 AND "
     "EXTENDED_CLASS_WAVG = 0",
     "select count(*) as N from dr2_main where wavg_mag_psf_g < 21 and "
     "extended_class_wavg = 0", {}),
    ("dr2_extended_class_wavg_histogram_ordered",
     "SELECT EXTENDED_CLASS_WAVG, COUNT(*) FROM DR2_MAIN GROUP BY EXTENDED_CLASS_WAVG "
     "ORDER BY EXTENDED_CLASS_WAVG",
     "select extended_class_wavg, count(*) as \"COUNT(*)\" from dr2_main group by 1 "
     "order by 1", {}),
    ("dr2_imaflags_clean",
     "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE IMAFLAGS_ISO_G = 0 AND IMAFLAGS_ISO_R = 0 "
     "AND FLAGS_G < 4 AND FLAGS_R < 4 AND MAG_AUTO_G_DERED < 19",
     "select coadd_object_id from dr2_main where imaflags_iso_g + imaflags_iso_r = 0 "
     "and flags_g <= 3 and flags_r <= 3 and mag_auto_g_dered < 19", {}),
    ("dr2_imaflags_any_band",
     "SELECT COUNT(*) AS N FROM DR2_MAIN WHERE IMAFLAGS_ISO_G > 0 OR IMAFLAGS_ISO_R > 0 OR "
     "IMAFLAGS_ISO_I > 0 OR IMAFLAGS_ISO_Z > 0 OR IMAFLAGS_ISO_Y > 0",
     "select count(*) as N from dr2_main where greatest(imaflags_iso_g, imaflags_iso_r, "
     "imaflags_iso_i, imaflags_iso_z, imaflags_iso_y) > 0", {}),
    ("dr2_class_star",
     "select coadd_object_id, class_star_i from dr2_main where class_star_i > 0.95 "
     "and mag_auto_i < 18.5",
     "select coadd_object_id, class_star_i from dr2_main where class_star_i > 0.95 "
     "and mag_auto_i < 18.5", {}),
    ("dr2_dered_equals_mag_minus_extinction",
     "SELECT COUNT(*) AS N FROM DR2_MAIN WHERE ABS(MAG_AUTO_G_DERED - (MAG_AUTO_G - 3.186 * "
     "EBV_SFD98)) > 0.01 AND MAG_AUTO_G < 90",
     "select count(*) as N from dr2_main where abs(mag_auto_g_dered - (mag_auto_g - 3.186 * "
     "ebv_sfd98)) > 0.01 and mag_auto_g < 90", {}),
    ("dr2_hpix_levels",
     "SELECT HPIX_64, COUNT(*) AS N, COUNT(DISTINCT HPIX_1024) AS N1024 FROM DR2_MAIN "
     "WHERE HPIX_32 = (SELECT MIN(HPIX_32) FROM DR2_MAIN) GROUP BY HPIX_64",
     "select hpix_64, count(*) as N, count(distinct hpix_1024) as N1024 from dr2_main "
     "where hpix_32 = (select min(hpix_32) from dr2_main) group by hpix_64", {}),
    ("dr2_hpix_16384_parent",
     "SELECT COUNT(*) AS N FROM DR2_MAIN WHERE TRUNC(HPIX_16384 / 16) <> HPIX_4096",
     "select count(*) as N from dr2_main where hpix_16384 // 16 <> hpix_4096", {}),
    ("dr2_nepochs",
     "SELECT NEPOCHS_G, COUNT(*) AS N FROM DR2_MAIN WHERE NEPOCHS_G >= 3 GROUP BY NEPOCHS_G",
     "select nepochs_g, count(*) as N from dr2_main where nepochs_g > 2 group by 1", {}),
    ("dr2_windowed_positions",
     "SELECT COADD_OBJECT_ID, (ALPHAWIN_J2000 - RA) * 3600 AS DRA, (DELTAWIN_J2000 - DEC) * "
     "3600 AS DDEC FROM DR2_MAIN WHERE COADD_OBJECT_ID < 1000000030",
     "select coadd_object_id, (alphawin_j2000 - ra) * 3600 as DRA, (deltawin_j2000 - dec) * "
     "3600 as DDEC from dr2_main where coadd_object_id < 1000000030", {}),
    ("dr2_galactic_latitude",
     "SELECT COUNT(*) AS N, ROUND(MIN(GALACTIC_B), 3) AS BMIN FROM DR2_MAIN "
     "WHERE ABS(GALACTIC_B) > 30",
     "select count(*) as N, round(min(galactic_b), 3) as BMIN from dr2_main "
     "where galactic_b > 30 or galactic_b < -30", {}),
    ("dr2_psf_minus_auto",
     "select coadd_object_id, wavg_mag_psf_i - mag_auto_i from dr2_main "
     "where wavg_mag_psf_i < 18 and wavg_mag_psf_i - mag_auto_i > 0.1",
     "select coadd_object_id, wavg_mag_psf_i - mag_auto_i as \"WAVG_MAG_PSF_I-MAG_AUTO_I\" "
     "from dr2_main where wavg_mag_psf_i < 18 and wavg_mag_psf_i - mag_auto_i > 0.1", {}),
    ("dr2_main_sample",
     "SELECT COADD_OBJECT_ID, MAG_AUTO_R FROM DR2_MAIN_SAMPLE WHERE MAG_AUTO_R < 21",
     "select coadd_object_id, mag_auto_r from dr2_main_sample where mag_auto_r < 21", {}),
    ("dr2_main_sample_in_main",
     "SELECT COUNT(*) AS N FROM DR2_MAIN_SAMPLE s WHERE NOT EXISTS (SELECT 1 FROM DR2_MAIN m "
     "WHERE m.COADD_OBJECT_ID = s.COADD_OBJECT_ID)",
     "select count(*) as N from dr2_main_sample anti join dr2_main using (coadd_object_id)",
     {}),
    ("dr2_tile_info_sizes",
     "SELECT TILENAME, RA_SIZE * COS(RADIANS(DEC_CENT)) AS W, DEC_SIZE FROM DR2_TILE_INFO "
     "WHERE ID < 10",
     "select tilename, ra_size * cos(radians(dec_cent)) as W, dec_size from dr2_tile_info "
     "where id < 10", {}),
    ("dr2_tile_files",
     "SELECT TILENAME, NVL(FITS_IMAGE_DET, 'none') AS DET, NVL2(TIFF_COLOR_IMAGE, 'Y', 'N') "
     "AS HAS_TIFF FROM DR2_TILE_INFO WHERE ID < 12",
     "select tilename, coalesce(fits_image_det, 'none') as DET, case when tiff_color_image "
     "is null then 'N' else 'Y' end as HAS_TIFF from dr2_tile_info where id < 12", {}),
    ("dr2_rownum_wavg_star_galaxy",
     "SELECT EXTENDED_CLASS_WAVG, AVG(WAVG_MAG_PSF_R) AS R FROM DR2_MAIN WHERE ROWNUM <= 2000 "
     "GROUP BY EXTENDED_CLASS_WAVG",
     "select extended_class_wavg, avg(wavg_mag_psf_r) as R from (select * from dr2_main "
     "limit 2000) group by 1", {}),
    ("dr2_sample_percent_dered",
     "SELECT COUNT(*) AS N FROM DR2_MAIN SAMPLE(3) SEED(99) WHERE MAG_AUTO_I_DERED < 21",
     "select count(*) as N from dr2_main tablesample bernoulli(3 percent) repeatable (99) "
     "where mag_auto_i_dered < 21", {}),
    ("dr2_bind_cone_wavg",
     "SELECT COADD_OBJECT_ID, WAVG_MAG_PSF_G, WAVG_MAG_PSF_R FROM DR2_MAIN "
     "WHERE RA BETWEEN :ra - :r AND :ra + :r AND DEC BETWEEN :dec - :r AND :dec + :r "
     "AND WAVG_MAG_PSF_R < 23",
     "select coadd_object_id, wavg_mag_psf_g, wavg_mag_psf_r from dr2_main where "
     "ra between 323.36 - 0.05 and 323.36 + 0.05 and dec between -0.82 - 0.05 and "
     "-0.82 + 0.05 and wavg_mag_psf_r < 23", {"ra": 323.36, "dec": -0.82, "r": 0.05}),
    ("dr2_fwhm_kron",
     "SELECT COADD_OBJECT_ID, FWHM_IMAGE_I * 0.263 AS FWHM_ARCSEC, KRON_RADIUS FROM DR2_MAIN "
     "WHERE FWHM_IMAGE_I > 0 AND MAG_AUTO_I < 17",
     "select coadd_object_id, fwhm_image_i * 0.263 as FWHM_ARCSEC, kron_radius from dr2_main "
     "where fwhm_image_i > 0 and mag_auto_i < 17", {}),
    ("dr2_decode_wavg_class",
     "SELECT DECODE(EXTENDED_CLASS_WAVG, -9, 'no data', 0, 'star', 1, 'star', 'galaxy') AS K, "
     "COUNT(*) AS N FROM DR2_MAIN GROUP BY DECODE(EXTENDED_CLASS_WAVG, -9, 'no data', 0, "
     "'star', 1, 'star', 'galaxy')",
     "select case when extended_class_wavg = -9 then 'no data' when extended_class_wavg in "
     "(0, 1) then 'star' else 'galaxy' end as K, count(*) as N from dr2_main group by 1", {}),
]

CORPUS: list[Entry] = BASE + DR2
