//! The templates of an email type (minijinja): subject, HTML body and text body, rendered over the user's
//! parameters and the send's `data`.
//!
//! In a template, `user` holds the user's parameters (`user.email`, `user.name`, …) and `data` the send's
//! data; for brevity both are also at the top level (`{{ name }}`, `{{ code }}`), where a data field wins
//! over a parameter of the same name. Printing a value that is missing is an error (the email then fails
//! with that reason) rather than a silent gap; `{{ name | default("there") }}` and `{% if name %}` are
//! the ways to allow it. The HTML body escapes what it prints; subject and text do not.
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde_json::{Map, Value};

/// A template that does not compile or does not render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{part}: {message}")]
pub struct TemplateError {
    /// `subject`, `html_body` or `text_body`.
    pub part: &'static str,
    pub message: String,
}

/// The rendered parts of an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// The compiled templates of one email type.
pub struct EmailTemplate {
    env: Result<Environment<'static>, TemplateError>,
}

const PARTS: [&str; 3] = ["subject", "html_body", "text_body"];

impl EmailTemplate {
    /// Compiles the three templates; a syntax error names the part and the line.
    pub fn compile(subject: &str, html: &str, text: &str) -> Result<EmailTemplate, TemplateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.set_auto_escape_callback(|name| {
            if name == "html_body" {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        for (part, source) in PARTS.into_iter().zip([subject, html, text]) {
            env.add_template_owned(part, source.to_owned())
                .map_err(|e| error(part, &e))?;
        }
        Ok(EmailTemplate { env: Ok(env) })
    }

    /// A template that did not compile: rendering it gives `error`.
    pub fn failing(error: TemplateError) -> EmailTemplate {
        EmailTemplate { env: Err(error) }
    }

    /// Renders the three parts over `context` (see `template_context`).
    pub fn render(&self, context: &Value) -> Result<Rendered, TemplateError> {
        let env = self.env.as_ref().map_err(Clone::clone)?;
        let render = |part: &'static str| {
            env.get_template(part)
                .and_then(|t| t.render(context))
                .map_err(|e| error(part, &e))
        };
        // A subject is one line: line breaks would end the header.
        let subject = render("subject")?
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Rendered {
            subject,
            html: render("html_body")?,
            text: render("text_body")?,
        })
    }
}

fn error(part: &'static str, e: &minijinja::Error) -> TemplateError {
    let mut message = e
        .detail()
        .map_or_else(|| e.kind().to_string(), str::to_owned);
    if let Some(line) = e.line() {
        message.push_str(&format!(" (line {line})"));
    }
    TemplateError { part, message }
}

/// The context of a template: `user` (email and parameters), `data`, and both merged at the top level.
pub fn template_context(user: &Map<String, Value>, data: &Map<String, Value>) -> Value {
    let mut top = user.clone();
    top.extend(data.iter().map(|(k, v)| (k.clone(), v.clone())));
    top.insert("user".into(), Value::Object(user.clone()));
    top.insert("data".into(), Value::Object(data.clone()));
    Value::Object(top)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn context() -> Value {
        let user = json!({"email": "anna@example.com", "name": "Anna <3", "age": 30});
        let data = json!({"code": "123456", "age": 31, "items": ["a", "b"]});
        template_context(user.as_object().unwrap(), data.as_object().unwrap())
    }

    #[test]
    fn renders_parameters_and_data() {
        let t = EmailTemplate::compile(
            "Hello {{ name }},\n your code",
            "<p>{{ user.name }}: {{ code }}{% for i in items %}<i>{{ i }}</i>{% endfor %}</p>",
            "{{ name }} is {{ age }} ({{ user.age }}); code {{ data.code }}",
        )
        .unwrap();
        let r = t.render(&context()).unwrap();
        assert_eq!(r.subject, "Hello Anna <3, your code");
        assert_eq!(r.html, "<p>Anna &lt;3: 123456<i>a</i><i>b</i></p>");
        assert_eq!(r.text, "Anna <3 is 31 (30); code 123456");
    }

    #[test]
    fn missing_values_fail_unless_defaulted() {
        let t = EmailTemplate::compile("Hi {{ nickname }}", "x", "y").unwrap();
        let e = t.render(&context()).unwrap_err();
        assert_eq!(e.part, "subject");
        assert!(e.message.contains("undefined"), "{e}");
        let t = EmailTemplate::compile(
            "Hi {{ nickname | default('there') }}",
            "{% if nickname %}{{ nickname }}{% endif %}",
            "y",
        )
        .unwrap();
        assert_eq!(t.render(&context()).unwrap().subject, "Hi there");
    }

    #[test]
    fn syntax_errors_name_the_part_and_line() {
        let e = EmailTemplate::compile("ok", "<p>\n{{ name </p>", "y")
            .err()
            .unwrap();
        assert_eq!(e.part, "html_body");
        assert!(e.message.contains("line 2"), "{e}");
    }
}
