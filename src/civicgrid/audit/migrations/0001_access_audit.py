import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from civicgrid.core import immutable


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('core', '0001_immutable_permit'),
        ('auditlog', '0017_add_actor_email'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AccessEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_index=True, verbose_name='时间')),
                ('kind', models.CharField(choices=[('login', '登录'), ('login_failed', '登录失败'), ('personal_data', '查看个人信息'), ('export', '导出')], max_length=20, verbose_name='类别')),
                ('target', models.CharField(blank=True, db_index=True, max_length=100, verbose_name='对象')),
                ('reason', models.CharField(blank=True, max_length=500, verbose_name='事由')),
                ('credential', models.CharField(blank=True, max_length=40, verbose_name='登录名')),
                ('detail', models.JSONField(blank=True, default=dict, verbose_name='详情')),
                ('ip', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP 地址')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
                ('subject', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='当事人')),
            ],
            options={
                'verbose_name': '访问记录',
                'verbose_name_plural': '访问记录',
                'ordering': ['-at', '-id'],
                'indexes': [models.Index(fields=['kind', 'at'], name='access_kind_at_idx'), models.Index(fields=['actor', 'at'], name='access_actor_at_idx'), models.Index(fields=['subject', 'at'], name='access_subject_at_idx')],
            },
        ),
        # Access records are never changed (an erasure masks the login name typed) and deleted only once
        # older than the retention period; the model-change log of django-auditlog likewise.
        immutable.protect('audit', 'AccessEvent', maskable=('credential',), expires=True),
        immutable.protect('auditlog', 'LogEntry', expires=True),
    ]
