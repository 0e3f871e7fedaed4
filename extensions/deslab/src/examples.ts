/** Example queries, as in DESaccess's menu (written for the DR2 tables). */

export interface IExample {
  title: string;
  sql: string;
}

export const EXAMPLES: IExample[] = [
  {
    title: 'Stars around the centre of a cluster',
    sql: `-- point sources within 3 arcmin of a position (a cluster centre)
SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_G, MAG_AUTO_R, MAG_AUTO_I
FROM DR2_MAIN
WHERE RA BETWEEN 0.05 - 0.05 AND 0.05 + 0.05
  AND DEC BETWEEN 0.02 - 0.05 AND 0.02 + 0.05
  AND (RA - 0.05) * (RA - 0.05) + (DEC - 0.02) * (DEC - 0.02) < 0.05 * 0.05
  AND EXTENDED_CLASS_COADD <= 1`
  },
  {
    title: 'Colour-magnitude cut',
    sql: `-- red, bright galaxies: g - r > 1 and r < 21
SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_R, MAG_AUTO_G - MAG_AUTO_R AS G_R
FROM DR2_MAIN
WHERE MAG_AUTO_G - MAG_AUTO_R > 1.0
  AND MAG_AUTO_R < 21
  AND EXTENDED_CLASS_COADD >= 2
  AND FLAGS_G < 4 AND FLAGS_R < 4`
  },
  {
    title: 'Objects in one tile',
    sql: `SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_G, MAG_AUTO_R, MAG_AUTO_I, MAG_AUTO_Z
FROM DR2_MAIN
WHERE TILENAME = 'DES0000+0000'`
  },
  {
    title: 'Counts per HEALPix pixel',
    sql: `-- object counts per HEALPix pixel (nside 32, NESTED)
SELECT HPIX_32, COUNT(*) AS N
FROM DR2_MAIN
GROUP BY HPIX_32
ORDER BY N DESC`
  },
  {
    title: 'Tile centres and corners',
    sql: `SELECT TILENAME, RA_CENT, DEC_CENT, CROSSRA0
FROM DR2_TILE_INFO
ORDER BY TILENAME`
  }
];
