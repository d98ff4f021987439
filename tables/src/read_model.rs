//! A projection's table: its columns, its key, and the indexes its list queries read.

/// The logical type of a read-model column. Each read store maps it to a column type of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    String,
    Bool,
    Int,
    Float,
    Decimal,
    Uuid,
    Timestamp,
    Date,
    /// Lists, value objects and anything else stored as a JSON document.
    Json,
}

impl ColumnType {
    /// Why rows cannot be ordered by a column of this type, if they cannot. `decimals_as_text`:
    /// whether the store keeps decimals as their text (SQLite and Cassandra do), whose order is
    /// not the numbers'.
    pub fn order_refusal(self, decimals_as_text: bool) -> Option<&'static str> {
        match self {
            ColumnType::Json => Some("lists and value objects have no order"),
            ColumnType::Bool => Some("a bool has two values: list by it instead"),
            ColumnType::Uuid => Some("uuids are random, so their order means nothing"),
            ColumnType::Decimal if decimals_as_text => Some(
                "this store keeps decimals as text, whose order is not the numbers' (order by \
                 an int of the smallest unit, or keep the read model on PostgreSQL)",
            ),
            _ => None,
        }
    }
}

/// One column of a read-model table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnDef<'a> {
    pub name: &'a str,
    pub ty: ColumnType,
    pub nullable: bool,
}

/// A read-model table: its columns, its key, and the indexes queries list by.
///
/// `#[derive(Projection)]` describes a projection's table as a `TableSchema<'static>` constant;
/// the CLI describes the same table from the model, borrowing the model's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSchema<'a> {
    pub name: &'a str,
    pub key: &'a str,
    pub columns: &'a [ColumnDef<'a>],
    /// What list queries look rows up by: each gets an index on SQL stores and a table of its
    /// own on Cassandra.
    pub indexes: &'a [Index<'a>],
    /// Counts and sums of the rows, grouped by a column.
    pub summaries: &'a [Summary<'a>],
}

/// The rows of a projection counted, and some of their number columns summed, per value of a
/// column: kept up to date with every row write on SQL stores (a table of one row per group),
/// added up from the group's partition of the index by `by` when asked on Cassandra.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary<'a> {
    pub by: &'a str,
    pub sums: &'a [&'a str],
}

impl Summary<'_> {
    /// Its table's name on `table`: `orders_count_by_status`.
    pub fn name(&self, table: &str) -> String {
        Index {
            equal: &[],
            order: None,
        }
        .name(&format!("{table}_count_by_{}", self.by))
    }

    /// The index its groups are read from on a store without its own table (Cassandra).
    pub fn index(&self) -> Index<'_> {
        Index {
            equal: std::slice::from_ref(&self.by),
            order: None,
        }
    }
}

/// A lookup list queries need: the rows whose `equal` terms hold given values, in the order of
/// the `order` column and then the key (or of the key alone). One index serves both directions,
/// and ranges of the `order` column.
///
/// Each `equal` entry is a [`Term`]: a column (`status`), a field of a value-object column
/// (`address.city`), or each element of a list column (`authors[]`, so a row is found by any
/// of its elements).
///
/// On SQL stores an index of columns alone is an index on (`equal`..., `order`, key) of the
/// projection's table; one with other terms is a table of its own holding one row per entry
/// (per element), kept in the same transaction as the row. On Cassandra every index is a table
/// partitioned by `equal` and clustered by (`order`, key), so it needs at least one `equal`
/// term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index<'a> {
    pub equal: &'a [&'a str],
    pub order: Option<&'a str>,
}

/// What an index compares, as its text in [`Index::equal`] says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term<'a> {
    /// `status`: a column's value.
    Column(&'a str),
    /// `address.city`: a field (or a field of a field, `a.b.c`) of a value-object column.
    Field { column: &'a str, path: Vec<&'a str> },
    /// `authors[]`: each element of a list column.
    Element(&'a str),
    /// `lines[].product_id`: a field (or a field of a field) of each element of a list of
    /// value objects.
    ElementField { column: &'a str, path: Vec<&'a str> },
}

impl<'a> Term<'a> {
    pub fn parse(text: &'a str) -> Self {
        if let Some((column, path)) = text.split_once("[].") {
            return Term::ElementField {
                column,
                path: path.split('.').collect(),
            };
        }
        if let Some(column) = text.strip_suffix("[]") {
            return Term::Element(column);
        }
        let mut parts = text.split('.');
        let column = parts.next().unwrap_or(text);
        let path: Vec<&str> = parts.collect();
        if path.is_empty() {
            Term::Column(column)
        } else {
            Term::Field { column, path }
        }
    }

    /// The column it reads.
    pub fn column(&self) -> &'a str {
        match self {
            Term::Column(column)
            | Term::Element(column)
            | Term::Field { column, .. }
            | Term::ElementField { column, .. } => column,
        }
    }
}

impl<'a> Index<'a> {
    /// The columns it reads: those of the `equal` terms, then `order`.
    pub fn columns(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.equal
            .iter()
            .map(|term| Term::parse(term).column())
            .chain(self.order)
    }

    /// Whether a term reaches inside a column (a field or the elements): then its entries are
    /// computed from each row, and SQL stores keep them in a table of their own.
    pub fn is_expanded(&self) -> bool {
        self.equal
            .iter()
            .any(|term| !matches!(Term::parse(term), Term::Column(_)))
    }

    /// Whether this lookup is by `column` alone, in key order: what a `where` that changes every
    /// row holding a value reads.
    pub fn is_by(&self, column: &str) -> bool {
        self.equal == [column] && self.order.is_none()
    }

    /// Its name on `table`: the index's on SQL stores, the table's on Cassandra.
    /// `orders_by_customer`, `orders_by_customer_status`, `orders_by_customer_ordered_by_placed`,
    /// `orders_ordered_by_placed`. A name longer than [`INDEX_NAME_LIMIT`] keeps its start and
    /// ends in a hash of the whole, so every store takes it and two indexes never share one.
    pub fn name(&self, table: &str) -> String {
        let mut name = table.to_owned();
        if !self.equal.is_empty() {
            let terms: Vec<String> = self
                .equal
                .iter()
                .map(|term| term.replace("[]", "").replace('.', "_"))
                .collect();
            name.push_str("_by_");
            name.push_str(&terms.join("_"));
        }
        if let Some(order) = self.order {
            name.push_str("_ordered_by_");
            name.push_str(order);
        }
        if name.len() <= INDEX_NAME_LIMIT {
            return name;
        }
        let hash = format!("_{:08x}", fnv1a(&name) as u32);
        let mut end = INDEX_NAME_LIMIT - hash.len();
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}{hash}", &name[..end])
    }
}

/// The longest index name: Cassandra's limit on table names, which is below PostgreSQL's on
/// identifiers.
pub const INDEX_NAME_LIMIT: usize = 48;

/// FNV-1a, 64 bits: a hash that stays the same across Rust versions and platforms, as a name
/// in a database must.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl<'a> TableSchema<'a> {
    pub fn column(&self, name: &str) -> Option<&'a ColumnDef<'a>> {
        self.columns.iter().find(|column| column.name == name)
    }

    /// The key's column. A schema whose key is not one of its columns is a bug in whoever built
    /// it (the derive and the model's validator both refuse one).
    pub fn key_column(&self) -> &'a ColumnDef<'a> {
        self.column(self.key)
            .expect("a projection's key is one of its columns")
    }

    /// The index whose columns are exactly these, if there is one.
    pub fn index(&self, equal: &[&str], order: Option<&str>) -> Option<&'a Index<'a>> {
        self.indexes
            .iter()
            .find(|index| index.equal == equal && index.order == order)
    }

    /// Every column some index reads, each once, in column order.
    pub fn indexed_columns(&self) -> Vec<&'a ColumnDef<'a>> {
        self.columns
            .iter()
            .filter(|column| {
                self.indexes
                    .iter()
                    .any(|index| index.columns().any(|name| name == column.name))
            })
            .collect()
    }

    /// Why an index cannot be served, if one cannot: a column it names is missing, a list or a
    /// value object compared whole, or of a type with no order (see
    /// [`ColumnType::order_refusal`]), or the key it orders by already.
    pub fn check_indexes(&self, decimals_as_text: bool) -> Result<(), String> {
        for index in self.indexes {
            let name = index.name(self.name);
            let column = |column: &str| {
                self.column(column).ok_or_else(|| {
                    format!("index `{name}` names `{column}`, which is not a column")
                })
            };
            for equal in index.equal {
                let term = Term::parse(equal);
                let json = column(term.column())?.ty == ColumnType::Json;
                match term {
                    Term::Column(_) if json => {
                        return Err(format!(
                            "index `{name}` compares `{equal}`, a list or value object, whole: \
                             compare a field of it (`{equal}.field`) or each element \
                             (`{equal}[]`)"
                        ));
                    }
                    Term::Field { .. } | Term::Element(_) | Term::ElementField { .. } if !json => {
                        return Err(format!(
                            "index `{name}` reaches into `{}`, which is neither a list nor a \
                             value object",
                            term.column()
                        ));
                    }
                    _ => {}
                }
            }
            if let Some(order) = index.order {
                let def = column(order)?;
                if order == self.key {
                    return Err(format!(
                        "index `{name}` orders by the key, as every list does already"
                    ));
                }
                if def.nullable {
                    return Err(format!(
                        "index `{name}` orders by `{order}`, which may be null, and a row \
                         without it has no place in the order"
                    ));
                }
                if let Some(why) = def.ty.order_refusal(decimals_as_text) {
                    return Err(format!("index `{name}` cannot order by `{order}`: {why}"));
                }
            }
        }
        Ok(())
    }

    /// Why a summary cannot be kept, if one cannot: a column it names is missing or may be null,
    /// its group column is a list or value object, or a column it sums is not a number (or is
    /// a decimal on a store that keeps decimals as text).
    pub fn check_summaries(&self, decimals_as_text: bool) -> Result<(), String> {
        for summary in self.summaries {
            let name = summary.name(self.name);
            let column = |column: &str| {
                self.column(column).ok_or_else(|| {
                    format!("summary `{name}` names `{column}`, which is not a column")
                })
            };
            let by = column(summary.by)?;
            if by.ty == ColumnType::Json || by.nullable {
                return Err(format!(
                    "summary `{name}` groups by `{}`, which is a list, a value object or may be \
                     null",
                    by.name
                ));
            }
            for sum in summary.sums {
                let def = column(sum)?;
                let number = matches!(def.ty, ColumnType::Int | ColumnType::Float)
                    || (def.ty == ColumnType::Decimal && !decimals_as_text);
                if !number || def.nullable {
                    return Err(format!(
                        "summary `{name}` sums `{sum}`, which is not a number every row has{}",
                        if def.ty == ColumnType::Decimal {
                            " (this store keeps decimals as text)"
                        } else {
                            ""
                        }
                    ));
                }
            }
        }
        Ok(())
    }

    /// What its tables were built for, in a few characters: a hash of its key, its columns
    /// (names, types, nullability), its indexes and its summaries, not of its name, which a
    /// rebuilt generation changes. A table built for another shape lacks the columns, entries
    /// or groups this one reads, until it is rebuilt.
    pub fn shape(&self) -> String {
        let mut text = format!("key {}\n", self.key);
        for column in self.columns {
            text.push_str(&format!(
                "column {} {:?} {}\n",
                column.name, column.ty, column.nullable
            ));
        }
        for index in self.indexes {
            text.push_str(&format!("index {:?} {:?}\n", index.equal, index.order));
        }
        for summary in self.summaries {
            text.push_str(&format!("summary {} {:?}\n", summary.by, summary.sums));
        }
        format!("{:016x}", fnv1a(&text))
    }

    /// The same columns under another table name: a rebuilt generation of the projection.
    pub fn renamed<'b>(&self, name: &'b str) -> TableSchema<'b>
    where
        'a: 'b,
    {
        TableSchema { name, ..*self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_index_names_end_in_a_hash_of_the_whole() {
        let index = Index {
            equal: &["customer_id", "status"],
            order: Some("placed_at"),
        };
        let short = index.name("carts");
        assert_eq!(short, "carts_by_customer_id_status_ordered_by_placed_at");
        let long = index.name("order_history");
        assert_eq!(long.len(), INDEX_NAME_LIMIT);
        assert!(
            long.starts_with("order_history_by_customer_id_status_ord"),
            "{long}"
        );
        assert_ne!(
            long,
            Index {
                order: Some("placed_on"),
                ..index
            }
            .name("order_history")
        );
        assert_eq!(long, index.name("order_history"), "the same every time");
        let inside = Index {
            equal: &["authors[]", "address.city"],
            order: None,
        };
        assert_eq!(inside.name("books"), "books_by_authors_address_city");
        assert!(inside.is_expanded() && !index.is_expanded());
        let columns: Vec<&str> = inside.columns().collect();
        assert_eq!(columns, ["authors", "address"]);
    }

    #[test]
    fn terms_read_a_column_a_field_of_one_or_each_element() {
        assert_eq!(Term::parse("status"), Term::Column("status"));
        assert_eq!(Term::parse("authors[]"), Term::Element("authors"));
        assert_eq!(
            Term::parse("address.geo.city"),
            Term::Field {
                column: "address",
                path: vec!["geo", "city"]
            }
        );
        assert_eq!(
            Term::parse("lines[].product.sku"),
            Term::ElementField {
                column: "lines",
                path: vec!["product", "sku"]
            }
        );
        let by_product = Index {
            equal: &["lines[].product_id"],
            order: None,
        };
        assert_eq!(by_product.name("orders"), "orders_by_lines_product_id");
        assert!(by_product.is_expanded());
    }
}
