package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Field;
import org.acmsl.bytehot.domain.EventStoreConfigurationException;
import org.junit.jupiter.api.Test;

/**
 * A class whose module does not open its package to the store cannot be mapped: that is
 * reported as a configuration error saying what to open, not as a raw
 * {@code InaccessibleObjectException}. {@code java.base} keeps {@code java.lang} closed, so
 * {@code String}'s own field is a real such case on every JDK this library runs on.
 */
class ClosedModuleTest {

    @Test
    void aFieldOfAClassInAClosedPackageIsAConfigurationErrorNamingWhatToOpen() throws Exception {
        final Field value = String.class.getDeclaredField("value");
        assertThatThrownBy(() -> EventShapes.makeAccessible(value, String.class))
            .isInstanceOf(EventStoreConfigurationException.class)
            .hasMessageContaining("module java.base does not open package java.lang")
            .hasMessageContaining("opens java.lang;")
            .hasMessageContaining("--add-opens java.base/java.lang=ALL-UNNAMED");
    }

    @Test
    void reflectionThatMeetsAClosedPackageIsAConfigurationError() {
        assertThatThrownBy(() -> EventShapes.reflect(String.class, () -> {
            final Field value = String.class.getDeclaredField("value");
            value.setAccessible(true);
            return value;
        })).isInstanceOf(EventStoreConfigurationException.class).hasMessageContaining("java.lang");
    }
}
