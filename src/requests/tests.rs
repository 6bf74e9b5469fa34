use super::*;

fn source(approved_only: bool, is_4k: bool) -> RequestSource {
    RequestSource {
        manager: RequestManager::Overseerr,
        uri: "http://o".into(),
        api_key: "k".into(),
        approved_only,
        skip_tls_verify: false,
        is_4k,
    }
}

/// An Overseerr `MediaRequest` as `GET /api/v1/request` lists it (the fields read, and some others).
fn request(status: u8, is4k: bool, media_type: &str, id: i64, media: u8, media4k: u8) -> serde_json::Value {
    serde_json::json!({
        "id": id * 10, "status": status, "is4k": is4k, "type": media_type,
        "createdAt": "2026-11-01T10:00:00.000Z", "requestedBy": {"id": 1, "displayName": "u"},
        "media": {
            "id": id, "mediaType": media_type, "tmdbId": id, "tvdbId": if media_type == "tv" { Some(id + 1000) } else { None },
            "status": media, "status4k": media4k,
        }
    })
}

fn page(results: Vec<serde_json::Value>, total: usize) -> Vec<u8> {
    serde_json::json!({"pageInfo": {"pages": 1, "pageSize": 100, "results": total, "page": 1}, "results": results})
        .to_string()
        .into_bytes()
}

#[test]
fn overseerr_requests_count_when_approved_not_declined_on_their_server_and_not_available() {
    let body = page(
        vec![
            request(2, false, "movie", 1, 3, 1), // approved, processing: counts
            request(1, false, "movie", 2, 2, 1), // pending approval
            request(3, false, "movie", 3, 1, 1), // declined
            request(2, false, "movie", 4, 5, 1), // available already
            request(2, true, "movie", 5, 5, 3),  // 4K, not available in 4K
            request(2, false, "tv", 6, 4, 1),    // partially available series: counts
        ],
        6,
    );
    let mut out = Requested::default();
    assert_eq!(
        overseerr_page(&body, &source(true, false), &mut out).ok(),
        Some(6)
    );
    assert_eq!(out.movies.iter().copied().collect::<Vec<_>>(), [1]);
    assert_eq!(out.series.iter().copied().collect::<Vec<_>>(), [1006]);

    let mut all = Requested::default();
    overseerr_page(&body, &source(false, false), &mut all).ok();
    assert_eq!(all.movies.iter().copied().collect::<Vec<_>>(), [1, 2]);

    let mut four_k = Requested::default();
    overseerr_page(&body, &source(true, true), &mut four_k).ok();
    assert_eq!(four_k.movies.iter().copied().collect::<Vec<_>>(), [5]);
    assert!(four_k.series.is_empty());
}

#[test]
fn an_overseerr_answer_that_is_not_a_request_page_is_an_error() {
    let mut out = Requested::default();
    for bad in [
        &b"<html>login</html>"[..],
        b"{}",
        b"{\"pageInfo\":{\"results\":1},\"results\":[{\"status\":2}]}",
    ] {
        assert!(overseerr_page(bad, &source(true, false), &mut out).is_err());
    }
    assert_eq!(out, Requested::default());
}

#[test]
fn ombi_requests_count_when_neither_available_nor_denied() {
    let movies = serde_json::json!([
        {"theMovieDbId": 11, "approved": true, "available": false, "denied": false, "title": "A"},
        {"theMovieDbId": 12, "approved": false, "available": false, "denied": null},
        {"theMovieDbId": 13, "approved": true, "available": true},
        {"theMovieDbId": 14, "approved": true, "available": false, "denied": true},
    ])
    .to_string();
    assert_eq!(ombi_movies(movies.as_bytes(), true).ok(), Some([11].into()));
    assert_eq!(ombi_movies(movies.as_bytes(), false).ok(), Some([11, 12].into()));
    let series = serde_json::json!([
        {"tvDbId": 21, "title": "S", "childRequests": [
            {"approved": true, "available": true},
            {"approved": true, "available": false, "denied": false}
        ]},
        {"tvDbId": 22, "childRequests": [{"approved": false, "available": false}]},
        {"tvDbId": 23, "childRequests": []},
    ])
    .to_string();
    assert_eq!(ombi_series(series.as_bytes(), true).ok(), Some([21].into()));
    assert_eq!(ombi_series(series.as_bytes(), false).ok(), Some([21, 22].into()));
    assert!(ombi_movies(b"{\"error\": 1}", true).is_err());
}
