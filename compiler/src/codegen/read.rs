//! The `read` module of the generated file: reading source records in one
//! pass, and the lazy reading it falls back to.
//!
//! A record is first read in **one pass** (serde visitors that accept only
//! objects where objects are expected, `null` for a missing object or array,
//! and each key once): the arrays are parsed as the record is, as a
//! hand-written serde struct would. If that pass rejects the record (not
//! JSON, not an object, an array that is not an array, a key given twice…),
//! the record is read **lazily** with `duijie_maplib::json`, exactly as the
//! interpreter reads it: arrays and objects are read when the mapping
//! reaches them, so a bad value fails the same field, with the same error,
//! as in the interpreter. On a record the one pass accepts, lazy reading
//! could not fail, so both give the same bill.

use proc_macro2::TokenStream;
use quote::quote;

/// The items of the `read` module (emitted once, before the schemes).
pub fn module() -> TokenStream {
    quote! {
        /// Reading source records: in one pass, or lazily as the interpreter
        /// does when the one pass rejects a record (see `Record::read` of a
        /// scheme).
        #[allow(dead_code, reason = "the same module for every set of schemes; not all of them have arrays and objects")]
        pub mod read {
            use ::std::borrow::Cow;
            use ::std::marker::PhantomData;

            use ::duijie_maplib::serde_json::value::RawValue;
            use ::duijie_maplib::ValueError;
            use ::serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

            /// A source struct: the fields of one JSON object that a mapping
            /// reads.
            pub trait Fields<'a>: Default + Clone {
                /// The field a key goes to, `None` for a key the mapping does
                /// not read.
                fn slot(key: &str) -> Option<usize>;

                /// Reads the value of the key of field `slot` (a key given
                /// twice is an error).
                fn read_field<A: MapAccess<'a>>(&mut self, slot: usize, map: &mut A) -> Result<(), A::Error>;

                /// Reads the object from its raw text when the mapping reaches
                /// it (`duijie_maplib::json::object`).
                fn read_lazy(raw: Option<&'a RawValue>) -> Result<Self, ValueError>;
            }

            /// An array of objects: read in the one pass, or raw text read
            /// when mapped.
            #[derive(Clone)]
            pub enum Elements<'a, E> {
                Raw(Option<&'a RawValue>),
                Read(Vec<E>),
            }

            impl<E> Default for Elements<'_, E> {
                fn default() -> Self {
                    Elements::Raw(None)
                }
            }

            impl<'a, E: Fields<'a>> Elements<'a, E> {
                /// Whether the key has not been seen.
                pub fn is_unread(&self) -> bool {
                    matches!(self, Elements::Raw(None))
                }

                /// The elements (`duijie_maplib::json::elements` on raw text:
                /// none for a missing or `null` array).
                pub fn get(&self) -> Result<ElementsRef<'_, 'a, E>, ValueError> {
                    match self {
                        Elements::Raw(raw) => ::duijie_maplib::json::elements(*raw).map(ElementsRef::Raw),
                        Elements::Read(items) => Ok(ElementsRef::Read(items)),
                    }
                }
            }

            /// The elements of an array, ready to be mapped one by one.
            pub enum ElementsRef<'r, 'a, E> {
                Raw(Vec<&'a RawValue>),
                Read(&'r [E]),
            }

            impl<'r, 'a, E: Fields<'a>> ElementsRef<'r, 'a, E> {
                /// The number of elements.
                pub fn count(&self) -> usize {
                    match self {
                        ElementsRef::Raw(items) => items.len(),
                        ElementsRef::Read(items) => items.len(),
                    }
                }

                /// Element `index` (read from its raw text if need be).
                pub fn item(&self, index: usize) -> Result<Cow<'r, E>, ValueError> {
                    match self {
                        ElementsRef::Raw(items) => E::read_lazy(items.get(index).copied()).map(Cow::Owned),
                        ElementsRef::Read(items) => Ok(items.get(index).map_or_else(|| Cow::Owned(E::default()), Cow::Borrowed)),
                    }
                }
            }

            /// A nested object: read in the one pass, or raw text read when
            /// its block is entered.
            #[derive(Clone)]
            pub enum Object<'a, O> {
                Raw(Option<&'a RawValue>),
                Read(O),
            }

            impl<O> Default for Object<'_, O> {
                fn default() -> Self {
                    Object::Raw(None)
                }
            }

            impl<'a, O: Fields<'a>> Object<'a, O> {
                /// Whether the key has not been seen.
                pub fn is_unread(&self) -> bool {
                    matches!(self, Object::Raw(None))
                }

                /// The object (a missing or `null` one has all fields missing).
                pub fn get(&self) -> Result<Cow<'_, O>, ValueError> {
                    match self {
                        Object::Raw(raw) => O::read_lazy(*raw).map(Cow::Owned),
                        Object::Read(object) => Ok(Cow::Borrowed(object)),
                    }
                }
            }

            /// Reads a record in one pass: one JSON object, nothing after it.
            pub fn record<'a, T: Fields<'a>>(text: &'a str) -> Result<T, ::duijie_maplib::serde_json::Error> {
                let mut de = ::duijie_maplib::serde_json::Deserializer::from_str(text);
                let value = de::Deserializer::deserialize_map(&mut de, ObjectVisitor::<T>(PhantomData))?;
                de.end()?;
                Ok(value)
            }

            /// The error of a key given twice.
            pub fn duplicate<E: de::Error>(slot: usize) -> E {
                E::custom(format!("the key of field {slot} is given twice"))
            }

            struct ObjectVisitor<T>(PhantomData<T>);

            impl<'a, T: Fields<'a>> Visitor<'a> for ObjectVisitor<T> {
                type Value = T;

                fn expecting(&self, f: &mut ::std::fmt::Formatter) -> ::std::fmt::Result {
                    f.write_str("an object")
                }

                fn visit_map<A: MapAccess<'a>>(self, mut map: A) -> Result<T, A::Error> {
                    let mut value = T::default();
                    while let Some(slot) = map.next_key_seed(KeySeed::<T>(PhantomData))? {
                        match slot {
                            Some(slot) => value.read_field(slot, &mut map)?,
                            None => {
                                map.next_value::<IgnoredAny>()?;
                            }
                        }
                    }
                    Ok(value)
                }
            }

            struct KeySeed<T>(PhantomData<T>);

            impl<'a, T: Fields<'a>> DeserializeSeed<'a> for KeySeed<T> {
                type Value = Option<usize>;

                fn deserialize<D: de::Deserializer<'a>>(self, d: D) -> Result<Option<usize>, D::Error> {
                    d.deserialize_str(self)
                }
            }

            impl<'a, T: Fields<'a>> Visitor<'a> for KeySeed<T> {
                type Value = Option<usize>;

                fn expecting(&self, f: &mut ::std::fmt::Formatter) -> ::std::fmt::Result {
                    f.write_str("a key")
                }

                fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
                    Ok(T::slot(key))
                }
            }

            /// An object value: `null` reads as an object whose fields are
            /// all missing.
            pub struct ObjectSeed<T>(PhantomData<T>);

            impl<T> Default for ObjectSeed<T> {
                fn default() -> Self {
                    ObjectSeed(PhantomData)
                }
            }

            impl<'a, T: Fields<'a>> DeserializeSeed<'a> for ObjectSeed<T> {
                type Value = T;

                fn deserialize<D: de::Deserializer<'a>>(self, d: D) -> Result<T, D::Error> {
                    d.deserialize_option(self)
                }
            }

            impl<'a, T: Fields<'a>> Visitor<'a> for ObjectSeed<T> {
                type Value = T;

                fn expecting(&self, f: &mut ::std::fmt::Formatter) -> ::std::fmt::Result {
                    f.write_str("an object or null")
                }

                fn visit_none<E: de::Error>(self) -> Result<T, E> {
                    Ok(T::default())
                }

                fn visit_some<D: de::Deserializer<'a>>(self, d: D) -> Result<T, D::Error> {
                    d.deserialize_map(ObjectVisitor::<T>(PhantomData))
                }
            }

            /// An array of objects: `null` reads as no elements.
            pub struct ElementsSeed<T>(PhantomData<T>);

            impl<T> Default for ElementsSeed<T> {
                fn default() -> Self {
                    ElementsSeed(PhantomData)
                }
            }

            impl<'a, T: Fields<'a>> DeserializeSeed<'a> for ElementsSeed<T> {
                type Value = Vec<T>;

                fn deserialize<D: de::Deserializer<'a>>(self, d: D) -> Result<Vec<T>, D::Error> {
                    d.deserialize_option(self)
                }
            }

            impl<'a, T: Fields<'a>> Visitor<'a> for ElementsSeed<T> {
                type Value = Vec<T>;

                fn expecting(&self, f: &mut ::std::fmt::Formatter) -> ::std::fmt::Result {
                    f.write_str("an array of objects or null")
                }

                fn visit_none<E: de::Error>(self) -> Result<Vec<T>, E> {
                    Ok(Vec::new())
                }

                fn visit_some<D: de::Deserializer<'a>>(self, d: D) -> Result<Vec<T>, D::Error> {
                    d.deserialize_seq(ElementsVisitor::<T>(PhantomData))
                }
            }

            struct ElementsVisitor<T>(PhantomData<T>);

            impl<'a, T: Fields<'a>> Visitor<'a> for ElementsVisitor<T> {
                type Value = Vec<T>;

                fn expecting(&self, f: &mut ::std::fmt::Formatter) -> ::std::fmt::Result {
                    f.write_str("an array of objects")
                }

                fn visit_seq<A: SeqAccess<'a>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
                    let Some(first) = seq.next_element_seed(ObjectSeed::<T>::default())? else {
                        return Ok(Vec::new());
                    };
                    // JSON text gives no length: room for 8 elements at
                    // once rather than growing from 4.
                    let mut items = Vec::with_capacity(seq.size_hint().map_or(8, |n| n + 1).min(64));
                    items.push(first);
                    while let Some(item) = seq.next_element_seed(ObjectSeed::<T>::default())? {
                        items.push(item);
                    }
                    Ok(items)
                }
            }
        }
    }
}
