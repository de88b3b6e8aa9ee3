//! The test harness: a fresh database per test, cloned from a migrated
//! template, and a chatd serving it on an ephemeral port.

pub use chat_testkit::TestDb;
use chatd::{Config, Server};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// A running chatd on its own database.
pub struct TestApp {
    pub base: String,
    pub db: TestDb,
    http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
}

/// A registered, logged-in user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub username: String,
    pub token: String,
}

/// A response's status and JSON body (`Value::Null` when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected answer: {:?}",
            self.body
        );
        self.body
    }

    /// Asserts an API error with this status and code.
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected answer: {:?}",
            self.body
        );
        assert_eq!(self.body["error"]["code"], code, "body: {}", self.body);
        assert!(
            self.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "error without a message: {}",
            self.body
        );
        self.body
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        let db = TestDb::create().await;
        let mut config = Config {
            database_url: db.url.clone(),
            listen: "127.0.0.1:0".parse().unwrap(),
            db_pool_size: 8,
            ..Config::default()
        };
        configure(&mut config);
        let server = Server::bind(config).await.expect("chatd starts");
        let base = format!("http://{}", server.local_addr());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(server.run(async {
            let _ = rx.await;
        }));
        Self {
            base,
            db,
            http: reqwest::Client::new(),
            shutdown: Some(tx),
        }
    }

    /// Sends a request; `body` is sent as JSON unless it is `Value::Null`.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if !body.is_null() {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request reaches chatd");
        Self::answer(res).await
    }

    /// Sends raw bytes with the given content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .body(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        Self::answer(req.send().await.expect("request reaches chatd")).await
    }

    async fn answer(res: reqwest::Response) -> Answer {
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Answer {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(Method::GET, path, Some(token), Value::Null).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(token), body).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(token), body).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Answer {
        self.call(Method::DELETE, path, Some(token), Value::Null)
            .await
    }

    /// Registers and logs in a user.
    pub async fn user(&self, username: &str) -> TestUser {
        let password = format!("{username}-password");
        self.call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            json!({ "username": username, "password": password }),
        )
        .await
        .expect(201);
        self.login(username, &password).await
    }

    pub async fn login(&self, username: &str, password: &str) -> TestUser {
        let body = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                json!({ "username": username, "password": password }),
            )
            .await
            .expect(200);
        TestUser {
            id: body["user"]["id"].as_i64().unwrap(),
            username: body["user"]["username"].as_str().unwrap().to_owned(),
            token: body["token"].as_str().unwrap().to_owned(),
        }
    }

    /// Creates a room owned by `owner` and returns its id.
    pub async fn room(&self, owner: &TestUser, name: &str, visibility: &str) -> i64 {
        self.post(
            "/api/v1/rooms",
            &owner.token,
            json!({ "name": name, "visibility": visibility }),
        )
        .await
        .expect(201)["room"]["id"]
            .as_i64()
            .unwrap()
    }

    /// Sends a message and returns it.
    pub async fn send(&self, user: &TestUser, room: i64, body: &str) -> Value {
        self.post(
            &format!("/api/v1/rooms/{room}/messages"),
            &user.token,
            json!({ "body": body }),
        )
        .await
        .expect(201)["message"]
            .clone()
    }

    /// A direct connection to the test database.
    pub async fn sql(&self) -> tokio_postgres::Client {
        chat_store::connect_once(&self.db.url).await.unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
