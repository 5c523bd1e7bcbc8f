//! Amounts as typed in the entry grid: `1234,56`, `1 234.56`, or arithmetic after `=`
//! (`=120*3`, `=1 200/1,2`, `=(10+5)*2`). A result with more than 2 decimals is refused, never
//! rounded.

use rust_decimal::Decimal;

use crate::model::Amount;

/// Longest expression accepted, so that evaluation stays trivial.
const MAX_EXPRESSION: usize = 100;

pub fn parse_amount(text: &str) -> Result<Amount, String> {
    let text = text.trim();
    match text.strip_prefix('=') {
        Some(expression) => {
            if expression.len() > MAX_EXPRESSION {
                return Err(format!(
                    "an expression has at most {MAX_EXPRESSION} characters"
                ));
            }
            let value = evaluate(expression)?;
            Amount::from_decimal(value).map_err(|_| {
                format!(
                    "`{text}` gives {}, which has more than 2 decimals",
                    value.normalize()
                )
            })
        }
        None => Amount::parse(text).map_err(|err| err.to_string()),
    }
}

fn evaluate(expression: &str) -> Result<Decimal, String> {
    let tokens: Vec<char> = expression
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let mut parser = Parser { tokens, at: 0 };
    let value = parser.sum()?;
    if parser.at != parser.tokens.len() {
        return Err(format!(
            "`{expression}`: unexpected `{}`",
            parser.tokens[parser.at]
        ));
    }
    Ok(value)
}

struct Parser {
    tokens: Vec<char>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.tokens.get(self.at).copied()
    }

    fn sum(&mut self) -> Result<Decimal, String> {
        let mut value = self.product()?;
        while let Some(op @ ('+' | '-')) = self.peek() {
            self.at += 1;
            let right = self.product()?;
            value = if op == '+' {
                value.checked_add(right)
            } else {
                value.checked_sub(right)
            }
            .ok_or("the result is too large")?;
        }
        Ok(value)
    }

    fn product(&mut self) -> Result<Decimal, String> {
        let mut value = self.factor()?;
        while let Some(op @ ('*' | 'x' | '/')) = self.peek() {
            self.at += 1;
            let right = self.factor()?;
            value = if op == '/' {
                if right.is_zero() {
                    return Err("division by zero".into());
                }
                value.checked_div(right)
            } else {
                value.checked_mul(right)
            }
            .ok_or("the result is too large")?;
        }
        Ok(value)
    }

    fn factor(&mut self) -> Result<Decimal, String> {
        match self.peek() {
            Some('-') => {
                self.at += 1;
                Ok(-self.factor()?)
            }
            Some('(') => {
                self.at += 1;
                let value = self.sum()?;
                if self.peek() != Some(')') {
                    return Err("a `(` is not closed".into());
                }
                self.at += 1;
                Ok(value)
            }
            Some(c) if c.is_ascii_digit() || c == '.' => {
                let start = self.at;
                while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '.') {
                    self.at += 1;
                }
                let number: String = self.tokens[start..self.at].iter().collect();
                number
                    .parse::<Decimal>()
                    .map_err(|_| format!("`{number}` is not a number"))
            }
            Some(c) => Err(format!("unexpected `{c}`")),
            None => Err("the expression ends too soon".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents(text: &str) -> i64 {
        parse_amount(text).unwrap().cents()
    }

    #[test]
    fn plain_and_computed_amounts() {
        assert_eq!(cents("1234,56"), 123_456);
        assert_eq!(cents("1 234.56"), 123_456);
        assert_eq!(cents("=120*3"), 36_000);
        assert_eq!(cents("=1 200/1,2"), 100_000);
        assert_eq!(cents("=(10+5)*2-0,5"), 2_950);
        assert_eq!(cents("=-3+5"), 200);
        assert!(
            parse_amount("=100/3")
                .unwrap_err()
                .contains("more than 2 decimals")
        );
        assert!(parse_amount("=1/0").is_err());
        assert!(parse_amount("=(1+2").is_err());
        assert!(parse_amount("=2+").is_err());
        assert!(parse_amount("12,345").is_err());
        assert!(parse_amount("abc").is_err());
    }
}
