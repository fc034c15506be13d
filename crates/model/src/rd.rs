//! Conversion between WGS84 (lon/lat degrees) and the Dutch national grid RD New
//! (Rijksdriehoeksstelsel, EPSG:28992, metres).
//!
//! These are the published approximation polynomials of Schreutelkamp & Strang van Hees
//! ("Benaderingsformules voor de transformatie tussen RD- en WGS84-kaartcoördinaten", 2001),
//! accurate to about a metre inside the Netherlands — far below what a choropleth of
//! generalised boundaries can show, and without the PROJ grid files an exact transform needs.

const X0: f64 = 155_000.0;
const Y0: f64 = 463_000.0;
const PHI0: f64 = 52.155_174_40;
const LAM0: f64 = 5.387_206_21;

/// (p, q, coefficient) for RD → latitude (K) and longitude (L), in arc seconds.
const K: [(i32, i32, f64); 11] = [
    (0, 1, 3235.65389),
    (2, 0, -32.58297),
    (0, 2, -0.24750),
    (2, 1, -0.84978),
    (0, 3, -0.06550),
    (2, 2, -0.01709),
    (1, 0, -0.00738),
    (4, 0, 0.00530),
    (2, 3, -0.00039),
    (4, 1, 0.00033),
    (1, 1, -0.00012),
];
const L: [(i32, i32, f64); 12] = [
    (1, 0, 5260.52916),
    (1, 1, 105.94684),
    (1, 2, 2.45656),
    (3, 0, -0.81885),
    (1, 3, 0.05594),
    (3, 1, -0.05607),
    (0, 1, 0.01199),
    (3, 2, -0.00256),
    (1, 4, 0.00128),
    (0, 2, 0.00022),
    (2, 0, -0.00022),
    (5, 0, 0.00026),
];
/// (p, q, coefficient) for WGS84 → RD x (R) and y (S), in metres.
const R: [(i32, i32, f64); 9] = [
    (0, 1, 190094.945),
    (1, 1, -11832.228),
    (2, 1, -114.221),
    (0, 3, -32.391),
    (1, 0, -0.705),
    (3, 1, -2.340),
    (1, 3, -0.608),
    (0, 2, -0.008),
    (2, 3, 0.148),
];
const S: [(i32, i32, f64); 10] = [
    (1, 0, 309056.544),
    (0, 2, 3638.893),
    (2, 0, 73.077),
    (1, 2, -157.984),
    (3, 0, 59.788),
    (0, 1, 0.433),
    (2, 2, -6.439),
    (1, 1, -0.032),
    (0, 4, 0.092),
    (1, 4, -0.054),
];

fn poly(terms: &[(i32, i32, f64)], a: f64, b: f64) -> f64 {
    terms
        .iter()
        .map(|&(p, q, c)| c * a.powi(p) * b.powi(q))
        .sum()
}

/// WGS84 longitude/latitude (degrees) → RD New x/y (metres).
///
/// ```
/// let (x, y) = kwm_model::rd::wgs84_to_rd(5.38720621, 52.15517440);
/// assert!((x - 155_000.0).abs() < 0.01 && (y - 463_000.0).abs() < 0.01);
/// ```
pub fn wgs84_to_rd(lon: f64, lat: f64) -> (f64, f64) {
    // The polynomial is in units of 10,000 arc seconds.
    let dphi = 0.36 * (lat - PHI0);
    let dlam = 0.36 * (lon - LAM0);
    (X0 + poly(&R, dphi, dlam), Y0 + poly(&S, dphi, dlam))
}

/// RD New x/y (metres) → WGS84 longitude/latitude (degrees).
pub fn rd_to_wgs84(x: f64, y: f64) -> (f64, f64) {
    let dx = (x - X0) * 1e-5;
    let dy = (y - Y0) * 1e-5;
    let lat = PHI0 + poly(&K, dx, dy) / 3600.0;
    let lon = LAM0 + poly(&L, dx, dy) / 3600.0;
    (lon, lat)
}

/// True when a coordinate pair can only be RD New (metres), not degrees.
pub fn looks_like_rd(x: f64, y: f64) -> bool {
    (-7_000.0..=300_000.0).contains(&x) && (289_000.0..=629_000.0).contains(&y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_within_a_metre_across_the_country() {
        for &(x, y) in &[
            (155_000.0, 463_000.0),
            (121_000.0, 487_000.0), // Amsterdam
            (233_000.0, 582_000.0), // Groningen
            (13_000.0, 380_000.0),  // Zeeuws-Vlaanderen
            (190_000.0, 310_000.0), // Zuid-Limburg
        ] {
            let (lon, lat) = rd_to_wgs84(x, y);
            let (x2, y2) = wgs84_to_rd(lon, lat);
            assert!(
                (x - x2).abs() < 1.0 && (y - y2).abs() < 1.0,
                "{x},{y} -> {x2},{y2}"
            );
        }
    }

    #[test]
    fn dam_square_lands_where_it_should() {
        // Dam, Amsterdam: RD ≈ (121 400, 487 370); WGS84 ≈ (4.8932, 52.3731).
        let (lon, lat) = rd_to_wgs84(121_400.0, 487_370.0);
        assert!(
            (lon - 4.8932).abs() < 0.001 && (lat - 52.3731).abs() < 0.001,
            "{lon} {lat}"
        );
    }
}
