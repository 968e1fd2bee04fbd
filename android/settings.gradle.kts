// Standalone build of the lsar Android library module (apps may instead include this
// directory as a module of their own build).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "lsar-android"
