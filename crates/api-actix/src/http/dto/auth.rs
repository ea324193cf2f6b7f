use std::collections::BTreeMap;

use domain::{EmailAddress, Password, PasswordAttempt, PasswordError, Registration, User};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::fields::{email, present, refuse_unknown, required, secret, text};
use crate::http::error::ApiError;
use crate::http::error::{field_error, password_problem};

/// `POST /login`. The original's documentation once called the field `username`; it is
/// accepted as an alias of `email`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Also accepted as `username`.
    #[serde(default, alias = "username", deserialize_with = "present")]
    #[schema(value_type = String, required = true, format = "email", example = "kaneeldias@gmail.com")]
    email: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 256, example = "abcd@123")]
    password: Option<Value>,
    #[serde(flatten)]
    #[schema(ignore)]
    unknown: BTreeMap<String, IgnoredAny>,
}

impl LoginRequest {
    /// # Errors
    /// [`ApiError::Invalid`] naming the missing or malformed field.
    pub fn parse(self) -> Result<(EmailAddress, PasswordAttempt), ApiError> {
        let address = email("email", required("email", self.email.as_ref())?)?;
        let password = secret("password", required("password", self.password.as_ref())?)?;
        let attempt =
            PasswordAttempt::new(password).map_err(|e| field_error("password", attempt_problem(e)))?;
        refuse_unknown(self.unknown.keys())?;
        Ok((address, attempt))
    }
}

const fn attempt_problem(error: PasswordError) -> &'static str {
    match error {
        PasswordError::TooLong => "length must be at most 1024 bytes",
        // An attempt is only ever refused for its size.
        PasswordError::TooShort | PasswordError::Common | PasswordError::ContainsEmail => "is not acceptable",
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// HS256 JWT with claims `id`, `sub`, `email`, `iat`, `exp`, `jti` (its id, which a logout
    /// revokes) and `gen` (the account's token generation); header `kid` names the key.
    pub token: String,
}

/// `POST /me/password`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordRequest {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 256, example = "abcd@123")]
    current_password: Option<Value>,
    /// 8 to 256 characters, not among the most common passwords, not containing the name part
    /// of the account's e-mail address.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = true, min_length = 8, max_length = 256, example = "a-new-long-password")]
    new_password: Option<Value>,
    #[serde(flatten)]
    #[schema(ignore)]
    unknown: BTreeMap<String, IgnoredAny>,
}

impl ChangePasswordRequest {
    /// The current password as an attempt, and the new one as typed (the policy needs the
    /// account's address, which the service reads).
    ///
    /// # Errors
    /// [`ApiError::Invalid`] naming the missing or malformed field.
    pub fn parse(self) -> Result<(PasswordAttempt, String), ApiError> {
        let current =
            secret("currentPassword", required("currentPassword", self.current_password.as_ref())?)?;
        let current =
            PasswordAttempt::new(current).map_err(|e| field_error("currentPassword", attempt_problem(e)))?;
        let new = secret("newPassword", required("newPassword", self.new_password.as_ref())?)?;
        refuse_unknown(self.unknown.keys())?;
        Ok((current, new))
    }
}

/// `POST /register`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterRequest {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = true, format = "email", example = "new.user@example.com")]
    email: Option<Value>,
    /// 8 to 256 characters.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = true, min_length = 8, max_length = 256, example = "a-long-password")]
    password: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 5000, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$", example = "New")]
    first_name: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 5000, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$", example = "User")]
    last_name: Option<Value>,
    #[serde(flatten)]
    #[schema(ignore)]
    unknown: BTreeMap<String, IgnoredAny>,
}

impl TryFrom<RegisterRequest> for Registration {
    type Error = ApiError;

    fn try_from(body: RegisterRequest) -> Result<Self, ApiError> {
        let email = email("email", required("email", body.email.as_ref())?)?;
        let password = secret("password", required("password", body.password.as_ref())?)?;
        let registration = Self {
            password: Password::new(password, &email)
                .map_err(|e| field_error("password", password_problem(e)))?,
            email,
            first_name: text("firstName", required("firstName", body.first_name.as_ref())?)?,
            last_name: text("lastName", required("lastName", body.last_name.as_ref())?)?,
        };
        refuse_unknown(body.unknown.keys())?;
        Ok(registration)
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserBody {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

impl From<User> for UserBody {
    fn from(user: User) -> Self {
        Self {
            id: user.id.get(),
            email: user.email.to_string(),
            first_name: user.first_name.into_inner(),
            last_name: user.last_name.into_inner(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterResponse {
    pub user: UserBody,
}
