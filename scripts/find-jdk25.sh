# shellcheck shell=bash
# Sourced by ./gaq, ./run-tests and other scripts: finds a JDK whose `java -version` is >= 25.
#
#   source scripts/find-jdk25.sh
#   gaq_find_jdk25 || exit 1     # on success exports JAVA_HOME and sets GAQ_JAVA=$JAVA_HOME/bin/java
#
# Order: $JAVA_HOME (if new enough), then /usr/lib/jvm/*, /opt/java/*, ~/.sdkman/candidates/java/*,
# ~/.jdks/*. Within a directory the newest version wins. On failure it prints where it looked
# to stderr and returns 1 (it never calls exit, so it is safe to source interactively).

GAQ_MIN_JAVA_MAJOR=${GAQ_MIN_JAVA_MAJOR:-25}

# Prints the major version of the given java binary ("25" for 25.0.3, "8" for 1.8.0_x); empty if
# the binary does not run.
gaq_java_major() {
    local java_bin=$1 line version
    [[ -x $java_bin ]] || return 1
    line=$("$java_bin" -version 2>&1 | grep -m1 -E 'version "[^"]+"') || return 1
    version=${line#*version \"}
    version=${version%%\"*}
    if [[ $version == 1.* ]]; then
        version=${version#1.}        # Java 8 and older report "1.8.0_..."
    fi
    version=${version%%[.+-]*}       # "25.0.3" / "25-ea" / "25+36" -> "25"
    [[ $version =~ ^[0-9]+$ ]] || return 1
    printf '%s\n' "$version"
}

gaq_find_jdk25() {
    local min=$GAQ_MIN_JAVA_MAJOR major home best_home="" best_major=0
    local -a looked=()

    if [[ -n ${JAVA_HOME:-} ]]; then
        looked+=("\$JAVA_HOME=$JAVA_HOME")
        major=$(gaq_java_major "$JAVA_HOME/bin/java") || major=0
        if (( major >= min )); then
            export JAVA_HOME
            GAQ_JAVA="$JAVA_HOME/bin/java"
            return 0
        fi
    fi

    local -a roots=(/usr/lib/jvm /opt/java "$HOME/.sdkman/candidates/java" "$HOME/.jdks")
    local root
    for root in "${roots[@]}"; do
        looked+=("$root/*")
        [[ -d $root ]] || continue
        for home in "$root"/*; do
            # `current` in sdkman is a symlink to another candidate; checking it twice is harmless.
            major=$(gaq_java_major "$home/bin/java") || continue
            if (( major >= min && major > best_major )); then
                best_major=$major
                best_home=$home
            fi
        done
        [[ -n $best_home ]] && break   # earlier roots take precedence over later ones
    done

    if [[ -z $best_home ]]; then
        {
            echo "error: gaq needs a JDK $min or newer, and none was found."
            echo "Looked in:"
            printf '  %s\n' "${looked[@]}"
            echo "Install one (e.g. Temurin $min) or set JAVA_HOME to it."
        } >&2
        return 1
    fi
    export JAVA_HOME=$best_home
    GAQ_JAVA="$JAVA_HOME/bin/java"
    return 0
}

# Maven itself (3.8/3.9, guava inside) calls sun.misc.Unsafe; JDK 24+ warns about that on every
# run. This flag is JDK 24+ only, which is fine because we always run Maven on the JDK found above.
gaq_maven_opts() {
    local flag="--sun-misc-unsafe-memory-access=allow"
    case " ${MAVEN_OPTS:-} " in
        *" $flag "*) ;;
        *) export MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }$flag" ;;
    esac
}
