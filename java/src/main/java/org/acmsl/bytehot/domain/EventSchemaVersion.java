package org.acmsl.bytehot.domain;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares the schema version of an event class: the shape its {@code eventData} has in this
 * release of the application. An event of the class is stored at this version (one built with
 * the default schema version 1 is stamped with it; one built with another version than declared
 * is refused), is read only at this version (an older stored event through the upcasters
 * registered from its version on; a stored version the chain cannot bring to the declared one
 * is an error naming the missing upcaster, never a half-filled object), and is rewritten to it
 * by a schema migration. A class without the annotation is read at whatever version the
 * upcasters reach. See {@code docs/migration.md}, "Evolving events".
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface EventSchemaVersion {

    /**
     * The class's schema version.
     * @return 1 or more
     */
    int value();
}
